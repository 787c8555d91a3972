/** Worker entry point: the HTTP app, the Cron Trigger and the Durable Object classes it binds. */
import { buildApp } from './app';
import { onCron } from './scheduler/cron';

export { TaskManager } from './taskmanager/TaskManager';

const app = buildApp();

export default {
  fetch: app.fetch,
  // Every minute (wrangler.toml [triggers]): launch the due policies. Awaited, not
  // waitUntil: the invocation lasts as long as the tick (and /__scheduled answers after it).
  async scheduled(controller, env) {
    await onCron(env, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
