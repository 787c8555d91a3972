/** Schedules: the list and the editor with its live preview (routes.tsx loads them by name). */
export { ScheduleList } from './list';
export { ScheduleEdit } from './edit';
