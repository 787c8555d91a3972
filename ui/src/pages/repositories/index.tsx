/** Repositories pages (routes.tsx loads them by name). */
import '../relays/objects.css';
export { RepositoryList } from './RepositoryList';
export { RepositoryEdit } from './RepositoryEdit';
