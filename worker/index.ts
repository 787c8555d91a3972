/** Worker entry point: the HTTP app, the Cron Trigger and the Durable Object classes it binds. */
import { buildApp } from './app';
import { onCron } from './scheduler/cron';

export { TaskManager } from './taskmanager/TaskManager';

const app = buildApp();

export default {
  fetch: app.fetch,
  // Every minute (wrangler.toml [triggers]): launch the due policies.
  scheduled(controller, env, ctx) {
    ctx.waitUntil(onCron(env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env>;
