/** The next scheduled runs: when (relative and exact), which policy, on which schedule. */
import { formatDate, formatRelative } from '../../lib/format';
import type { UpcomingRun } from './load';

export function UpcomingRuns({ runs, now, canCreate }: { runs: UpcomingRun[]; now: number; canCreate: boolean }) {
  return (
    <section class="card dash-upcoming" aria-labelledby="dash-upcoming-h">
      <h2 id="dash-upcoming-h">Upcoming runs</h2>
      {runs.length === 0 ? (
        <p class="empty">
          No scheduled run: no enabled policy has a next run.{' '}
          {canCreate ? (
            <a href="/policies/new">Create a policy</a>
          ) : (
            <a href="/policies">See the policies</a>
          )}
          .
        </p>
      ) : (
        <ol class="dash-list dash-runs">
          {runs.map((r) => {
            const due = new Date(r.at).getTime() <= now;
            return (
              <li key={`${r.policy.id}-${r.at}`} data-policy={r.policy.id}>
                <time class="dash-when" dateTime={r.at} title={formatDate(r.at)}>
                  <strong>{due ? 'due now' : formatRelative(r.at, now)}</strong>
                  <span class="dash-exact">
                    {formatDate(r.at)}
                    {r.later && r.policy.jitter_seconds > 0 ? ` + up to ${r.policy.jitter_seconds} s` : ''}
                  </span>
                </time>
                <span class="dash-what">
                  <a href={`/policies/${r.policy.id}`}>{r.policy.name}</a>
                  <span class="hint">
                    {' '}
                    {r.policy.type}
                    {r.schedule ? (
                      <>
                        {' · '}
                        <a href={`/schedules/${r.schedule.id}`}>{r.schedule.name}</a> <code>{r.schedule.crontab}</code> {r.schedule.timezone}
                      </>
                    ) : null}
                  </span>
                  {r.policy.usable === false && (
                    <span class="badge warn" title={r.policy.unusable_reasons?.join('; ')}>
                      unusable
                    </span>
                  )}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
