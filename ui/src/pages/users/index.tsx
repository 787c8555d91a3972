/** Users (admin): the list and the create/edit form (routes.tsx loads them by name). */
export { UserList } from './list';
export { UserEdit } from './edit';
