/**
 * Running jobs with live progress: one row per job (the newest few), each following its
 * events socket. A row's socket closes when the job leaves the list (ended, or pushed out
 * by newer ones) or the tab is hidden; a new job appears at the next poll.
 */
import { useEffect, useState } from 'preact/hooks';
import { StatusBadge } from '../../components/badges';
import { formatBytes, formatDuration } from '../../lib/format';
import { progressFraction, type Progress } from '../../lib/job-progress';
import type { Job } from '../../lib/types';
import { usePageVisible, useLiveJob, type SocketState } from './job-live';
import { RUNNING_STATUSES } from './load';

interface Props {
  jobs: Job[];
  total: number;
  clientNames: Map<number, string>;
  policyNames: Map<number, string>;
  /** A job's socket said it ended: the page reloads (counts, chart) without waiting for the poll. */
  onEnded: () => void;
  canLaunch: boolean;
}

export function RunningJobs({ jobs, total, clientNames, policyNames, onEnded, canLaunch }: Props) {
  const visible = usePageVisible();
  const now = useNow(jobs.length ? 1000 : 0);
  return (
    <section class="card dash-running" aria-labelledby="dash-running-h">
      <h2 id="dash-running-h">Running jobs</h2>
      {jobs.length === 0 ? (
        <p class="empty">
          No job is running.{' '}
          {canLaunch ? (
            <>
              Launch one from <a href="/policies">Policies</a>, or see <a href="/jobs">all jobs</a>.
            </>
          ) : (
            <>
              See <a href="/jobs">all jobs</a>.
            </>
          )}
        </p>
      ) : (
        <ul class="dash-list">
          {jobs.map((job) => (
            <RunningJobRow key={job.id} job={job} now={now} active={visible} onEnded={onEnded} client={job.client === null ? null : (clientNames.get(job.client) ?? `client #${job.client}`)} policy={job.policy === null ? null : (policyNames.get(job.policy) ?? `policy #${job.policy}`)} />
          ))}
        </ul>
      )}
      {total > jobs.length && (
        <p class="hint">
          Showing the newest {jobs.length} of {total}. <a href={`/jobs?status=${RUNNING_STATUSES}`}>All running jobs</a>
        </p>
      )}
    </section>
  );
}

interface RowProps {
  job: Job;
  now: number;
  active: boolean;
  onEnded: () => void;
  client: string | null;
  policy: string | null;
}

function RunningJobRow({ job, now, active, onEnded, client, policy }: RowProps) {
  const live = useLiveJob(job, active, onEnded);
  const fraction = progressFraction(live.progress, live.expectedBytes);
  const what = [client, policy].filter(Boolean).join(' · ');
  const label = `${job.type} job ${job.id}${what ? ` (${what})` : ''}`;
  return (
    <li class="dash-run" data-job={job.id} data-socket={live.socket} data-status={live.status}>
      <div class="dash-run-head">
        <a href={`/jobs/${job.id}`}>
          <strong>{job.type}</strong> #{job.id}
        </a>
        <StatusBadge status={live.status} />
      </div>
      {what && <div class="dash-run-what">{what}</div>}
      {/* Two elements: a value once set cannot be taken off a <progress> by re-rendering, so
          going back to "unknown" (indeterminate) needs a fresh element. */}
      {fraction === null ? (
        <progress key="indeterminate" aria-label={`Progress of ${label}`} />
      ) : (
        <progress key="determinate" aria-label={`Progress of ${label}`} max={1} value={fraction} />
      )}
      <div class="dash-run-meta">
        <span>{job.started ? `${formatDuration(Math.max(0, now - new Date(job.started).getTime()))} elapsed` : 'starting'}</span>
        <span class="dash-progress-text">{progressText(live.progress, fraction, live.expectedBytes)}</span>
        <span class="dash-socket">{socketText(live.socket)}</span>
      </div>
    </li>
  );
}

function progressText(p: Progress | null, fraction: number | null, expected: number | null): string {
  if (!p) return 'no progress reported yet';
  if (p.kind === 'percent') return `${p.message ? `${p.message}: ` : ''}${Math.round((fraction ?? 0) * 100)} %`;
  // A piped or database backup reads one stream: no file count to speak of.
  const read = `${formatBytes(p.originalSize)} read${p.nfiles ? `, ${p.nfiles.toLocaleString()} files` : ''}`;
  // borg does not know an archive's total; the bar is an estimate from the last backup.
  return fraction !== null && expected ? `${read} (about ${Math.round(fraction * 100)} % of the last backup, ${formatBytes(expected)})` : read;
}

function socketText(s: SocketState): string {
  switch (s) {
    case 'live':
      return 'live';
    case 'connecting':
      return 'connecting…';
    case 'reconnecting':
      return 'reconnecting…';
    case 'paused':
      return 'paused while the tab is hidden';
    case 'unavailable':
      return 'live output unavailable';
    case 'ended':
      return 'ended';
  }
}

/** The current time, every `ms` (0: not ticking), for elapsed times. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ms) return;
    // From the moment it starts ticking, not from when the component mounted.
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
