/**
 * The Cron Trigger (`* * * * *` in wrangler.toml): one scheduler tick, then the relays that
 * got jobs are poked so their TaskManagers dispatch at once. Logged as one JSON line.
 *
 * Housekeeping (worker/housekeeping) runs in the same invocation during the UTC hour of the
 * `housekeeping_hour` setting, with what the tick left of the query budget: every minute of
 * that hour it carries on where it stopped (it is idempotent and bounded), so a large backlog
 * is worked off within the hour and an ordinary day costs one read a minute for an hour.
 */
import { readSetting } from '../api/settings/store';
import { openDb } from '../db/client';
import { runHousekeeping } from '../housekeeping';
import { pokeRelay } from '../taskmanager/poke';
import { runSchedulerTick } from './tick';

/** The invocation's D1 budget (1,000 on the platform), minus a margin for the pokes and logs. */
const INVOCATION_BUDGET = 950;

export async function onCron(env: Env, now: Date): Promise<void> {
  const db = openDb(env.DB);
  const report = await runSchedulerTick(db, now);
  await Promise.all(report.relays.map((id) => pokeRelay(env, id)));
  if (report.due || report.skipped.length || report.error) {
    console.log(
      JSON.stringify({
        level: report.error ? 'error' : report.skipped.length ? 'warn' : 'info',
        msg: 'scheduler tick',
        at: now.toISOString(),
        due: report.due,
        launched: report.launched,
        jobs: report.jobs,
        skipped: report.skipped.slice(0, 20),
        more: report.more,
        error: report.error,
        queries: report.queries,
        batches: report.batches,
        timings: report.timings,
      }),
    );
  }
  const hour = Number((await readSetting(db, 'housekeeping_hour')) ?? 3);
  if (now.getUTCHours() === hour) {
    const budget = INVOCATION_BUDGET - report.queries - report.relays.length - 1;
    if (budget > 10) {
      const h = await runHousekeeping(env, now, { budget });
      if (h.jobs || h.more) console.log(JSON.stringify({ level: 'info', msg: 'housekeeping', jobs: h.jobs, lines: h.lines, more: h.more, deferred: h.deferred }));
    }
  }
}
