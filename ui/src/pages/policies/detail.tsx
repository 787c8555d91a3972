/** Beside an existing policy's form: its next runs (the calendar) and its recent jobs. */
import { useEffect, useState } from 'preact/hooks';
import { StatusBadge } from '../../components/badges';
import { api, errorMessage } from '../../lib/api';
import { formatDate, formatDuration, formatRelative } from '../../lib/format';
import { usePolling } from '../../lib/poll';
import type { Job, Page } from '../../lib/types';
import type { Calendar, ClientRef } from './types';

const SHOWN_RUNS = 8;

/** `reloadKey` changes after a save (the schedule may have changed). */
export function NextRuns({ policy, reloadKey }: { policy: number; reloadKey: number }) {
  const [cal, setCal] = useState<Calendar | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api<Calendar>('GET', `/policies/${policy}/calendar`)
      .then((c) => live && (setCal(c), setError(null)))
      .catch((e) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [policy, reloadKey]);
  return (
    <section class="card" aria-labelledby="next-runs-title">
      <h2 id="next-runs-title">Next runs</h2>
      {error && <p class="form-error">{error}</p>}
      {!cal && !error && <p class="empty">Loading…</p>}
      {cal && (
        <>
          <p class="hint">
            <code>{cal.crontab}</code> in {cal.timezone}; shown in your timezone. The jitter may delay each run.
          </p>
          {cal.runs.length === 0 ? (
            <p class="empty">No run in the next 31 days.</p>
          ) : (
            <ol class="runs">
              {cal.runs.slice(0, SHOWN_RUNS).map((r) => (
                <li key={r}>
                  <time dateTime={r}>{formatDate(r)}</time> <span class="hint">({formatRelative(r)})</span>
                </li>
              ))}
            </ol>
          )}
          {cal.runs.length > SHOWN_RUNS && (
            <p class="hint">
              and {cal.runs.length - SHOWN_RUNS}
              {cal.truncated ? '+' : ''} more in the next 31 days.
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** The newest jobs of the policy, refreshed while visible so a launch's jobs appear and move. */
export function RecentJobs({ policy, clients, reloadKey }: { policy: number; clients: Map<number, ClientRef>; reloadKey: number }) {
  const [page, setPage] = useState<Page<Job> | null>(null);
  const [error, setError] = useState<string | null>(null);
  usePolling(
    async () => {
      try {
        setPage(await api<Page<Job>>('GET', `/jobs?policy=${policy}&page_size=10`));
        setError(null);
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    5000,
    [policy, reloadKey],
  );
  return (
    <section class="card" aria-labelledby="recent-jobs-title">
      <h2 id="recent-jobs-title">Recent jobs</h2>
      {error && <p class="form-error">{error}</p>}
      {page && page.results.length === 0 && <p class="empty">No job yet.</p>}
      {page && page.results.length > 0 && (
        <ul class="recent-jobs">
          {page.results.map((j) => (
            <li key={j.id}>
              <a href={`/jobs/${j.id}`}>#{j.id}</a> <span class="job-type">{j.type}</span> <StatusBadge status={j.status} />
              <br />
              <span class="hint">
                {j.client ? (clients.get(j.client)?.hostname ?? `client #${j.client}`) : 'repository'} ·{' '}
                <time dateTime={j.created} title={formatDate(j.created)}>
                  {formatRelative(j.created)}
                </time>
                {j.elapsed_ms !== null ? ` · ${formatDuration(j.elapsed_ms)}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={`/jobs?policy=${policy}`}>All jobs of this policy{page ? ` (${page.count}${page.count_exact ? '' : '+'})` : ''}</a>
      </p>
    </section>
  );
}
