/** Worker entry point: the HTTP app and the Durable Object classes it binds. */
import { buildApp } from './app';

export { TaskManager } from './taskmanager/TaskManager';

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
