/** Policies: the list (with launch) and the type-adaptive create/edit page. Named exports for routes.tsx. */
export { PolicyList } from './list';
export { PolicyEdit } from './edit';
