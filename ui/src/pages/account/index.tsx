/** The signed-in user's own pages: profile and API tokens (routes.tsx loads them by name). */
export { ProfilePage } from './profile';
export { TokensPage } from './tokens';
