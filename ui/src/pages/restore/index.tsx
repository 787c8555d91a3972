/** The restore page (/restore?job=ID, or ?repository=ID&archive=NAME). */
export { RestorePage } from './restore-page';
