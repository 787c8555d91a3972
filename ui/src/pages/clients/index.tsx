/** Clients pages (routes.tsx loads them by name). */
import '../relays/objects.css';
export { ClientList } from './ClientList';
export { ClientEdit } from './ClientEdit';
