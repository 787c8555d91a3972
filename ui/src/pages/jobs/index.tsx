/** The jobs pages: the list (/jobs) and one job with its live output (/jobs/:id). */
export { JobList } from './list';
export { JobPage } from './job-page';
