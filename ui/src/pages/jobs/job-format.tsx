/** Small displays shared by the jobs list, the job page and the chain. */
import { ENDED_STATUSES } from '../../lib/job-events';
import { formatDate, formatDuration } from '../../lib/format';
import type { Job, JobStatus } from '../../lib/types';

export const isActive = (status: JobStatus) => !ENDED_STATUSES.includes(status);

/** Words for the API's job types and launch types. */
export const TYPE_LABELS: Record<string, string> = {
  backup: 'Backup',
  prepare_client: 'Prepare client',
  prepare_repository: 'Prepare repository',
  catalog: 'Catalog',
  prune: 'Prune',
  compact: 'Compact',
  check: 'Check',
  restore: 'Restore',
};
export const typeLabel = (t: string) => TYPE_LABELS[t] ?? t;

/** How long a job ran, or has been running so far (re-rendered by the page's polling). */
export function jobDuration(job: Job, now = Date.now()): string {
  if (job.elapsed_ms !== null) return formatDuration(job.elapsed_ms);
  if (job.started && !job.finished) return formatDuration(now - new Date(job.started).getTime());
  if (job.started && job.finished) return formatDuration(new Date(job.finished).getTime() - new Date(job.started).getTime());
  return '—';
}

const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** A compact timestamp for tables: the time alone today, else a short date and time. */
export function ShortTime({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  const d = new Date(iso);
  const today = d.toDateString() === new Date().toDateString();
  return (
    <time dateTime={iso} title={d.toISOString()} class="nowrap">
      {(today ? timeOnly : shortDate).format(d)}
    </time>
  );
}

/** A timestamp: the local date, the exact value in `datetime` and on hover. (Relative times: components/time `Ago`.) */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={new Date(iso).toISOString()}>
      {formatDate(iso)}
    </time>
  );
}
