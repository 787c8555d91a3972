/**
 * The Cron Trigger of `npm start`. Locally, wrangler never fires cron triggers by itself (and
 * with static assets `/cdn-cgi/handler/scheduled` does not reach the Worker): with
 * `wrangler dev --test-scheduled` and `/__scheduled` in `run_worker_first`, a GET of
 * `/__scheduled?cron=…` runs `scheduled()`. This calls it at the start of every minute, as
 * Cloudflare would with `crons = ["* * * * *"]`. LOCAL_CRON=0 turns it off.
 */
export function startLocalCron({ origin, log }) {
  let timer = null;
  let stopped = false;
  const fire = async () => {
    try {
      const res = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent('* * * * *')}`, { signal: AbortSignal.timeout(50_000) });
      if (!res.ok) log(`local cron: /__scheduled answered ${res.status}`);
    } catch (e) {
      if (!stopped) log(`local cron: ${e.message}`);
    }
  };
  const schedule = () => {
    if (stopped) return;
    // One second into the next minute, like a trigger that fires on the minute.
    const wait = 60_000 - (Date.now() % 60_000) + 1000;
    timer = setTimeout(() => {
      void fire();
      schedule();
    }, wait);
  };
  schedule();
  log('local cron: the scheduler runs at the start of every minute.');
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
