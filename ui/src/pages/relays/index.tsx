/** Relays pages (routes.tsx loads them by name). */
import '../relays/objects.css';
export { RelayList } from './RelayList';
export { RelayEdit } from './RelayEdit';
