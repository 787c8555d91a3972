/**
 * The Cron Trigger (`* * * * *` in wrangler.toml): one scheduler tick, then the relays that
 * got jobs are poked so their TaskManagers dispatch at once. Logged as one JSON line.
 */
import { openDb } from '../db/client';
import { taskManagerFor } from '../taskmanager/TaskManager';
import { runSchedulerTick } from './tick';

export async function onCron(env: Env, now: Date): Promise<void> {
  const db = openDb(env.DB);
  const report = await runSchedulerTick(db, now);
  await Promise.all(
    report.relays.map((id) =>
      taskManagerFor(env, id)
        .poke()
        .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'poke failed', relay: id, error: String((e as Error)?.message ?? e) }))),
    ),
  );
  if (report.due || report.skipped.length) {
    console.log(
      JSON.stringify({
        level: report.skipped.length ? 'warn' : 'info',
        msg: 'scheduler tick',
        at: now.toISOString(),
        due: report.due,
        launched: report.launched,
        jobs: report.jobs,
        skipped: report.skipped.slice(0, 20),
        more: report.more,
        queries: report.queries,
      }),
    );
  }
}
