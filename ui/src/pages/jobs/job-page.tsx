/**
 * One job: what it is, its live output, its progress and its chain. The output and the
 * status come over the job's events socket (followJobEvents: replay from line 1, then
 * live); the record is read again when the status changes (final sizes, exit code) and
 * every 5 s while the job is active (a pending job's reason changes without a status).
 */
import { useSession } from '../../lib/session';
import { useRoute } from 'preact-iso';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorMessage } from '../../lib/api';
import { followJobEvents } from '../../lib/job-events';
import { usePolling } from '../../lib/poll';
import { useTitle } from '../../lib/title';
import type { Job } from '../../lib/types';
import { StatusBadge } from '../../components/badges';
import { PageHeader } from '../../layout/Layout';
import { JobActions, ReadinessCurl } from './actions';
import { JobChain } from './chain';
import { JobDetails } from './details';
import { isActive, typeLabel } from './job-format';
import { LogStore, useLogVersion } from './log-store';
import { LogViewer } from './log-viewer';
import { JobProgress, useExpectedBytes } from './progress';
import './jobs.css';

type Connection = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'unavailable';
const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  ended: 'complete',
  unavailable: 'unreachable, retrying',
};
/** Job types whose output carries borg's progress: their bar is there from the start, so nothing moves when it fills. */
const PROGRESS_TYPES = ['backup', 'check', 'compact'];

export function JobPage() {
  const id = Number(useRoute().params.id);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [connection, setConnection] = useState<Connection>('connecting');
  const store = useMemo(() => new LogStore(), [id]);
  useTitle(job ? `Job #${id} · ${typeLabel(job.type)}` : `Job #${id}`);

  const refetch = async () => {
    try {
      const j = await api<Job>('GET', `/jobs/${id}`);
      setJob((old) => (old === null || old.id === j.id ? j : old));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  useEffect(() => {
    setJob(null);
    setConnection('connecting');
    return () => store.dispose();
  }, [id]);
  usePolling(refetch, job && !isActive(job.status) ? 600_000 : 5000, [id, job?.status]);

  // The socket, once the job is known to have a relay (one without has no output).
  const relay = job?.id === id ? job.relay : undefined;
  useEffect(() => {
    if (relay === undefined || relay === null) return;
    // From what this page already has (the effect can run again for the same job).
    const follower = followJobEvents(id, store.lines.at(-1)?.line ?? 0, {
      onLines: (lines) => store.append(lines),
      onHello: (h) => setJob((j) => (j && j.status !== h.status ? { ...j, status: h.status } : j)),
      onStatus: (e) => {
        setJob((j) => j && { ...j, status: e.status, exit_code: e.exit_code, explanation: e.explanation, finished: e.finished });
        void refetch();
      },
      onState: setConnection,
    });
    return () => follower.close();
  }, [id, relay, store]);

  if (error && !job) {
    return (
      <section>
        <PageHeader title={`Job #${id}`} />
        <p class="form-error" role="alert">
          Could not load the job: {error}
        </p>
      </section>
    );
  }
  if (!job || job.id !== id) return <p class="empty">Loading…</p>;
  const active = isActive(job.status);

  return (
    <section class="job-page">
      <PageHeader
        title={
          <>
            Job #{job.id} <span class="job-type">{typeLabel(job.type)}</span>
          </>
        }
      >
        <JobActions job={job} onChange={(j) => setJob((old) => ({ ...j, depends_on: old?.depends_on }))} />
      </PageHeader>
      <p class="job-summary" aria-live="polite">
        <StatusBadge status={job.status} />
        {job.explanation && <span class="explanation"> {job.explanation}</span>}
      </p>
      <LiveProgress job={job} store={store} />
      <h2 class="output-title">
        Output{' '}
        {job.relay !== null && (
          <span class={`badge conn conn-${connection}`} data-connection={connection}>
            {CONNECTION_TEXT[connection]}
          </span>
        )}
      </h2>
      {job.relay === null ? <p class="empty">This job has no relay, so there is no output to show.</p> : <LogViewer store={store} label={`Output of job ${job.id}`} live={active} />}
      <LiveReadiness job={job} store={store} />
      <div class="job-info">
        <JobDetails job={job} />
        <JobChain job={job} />
      </div>
    </section>
  );
}

/** The progress bar, re-rendered with the store (at most once a frame), not the whole page. */
function LiveProgress({ job, store }: { job: Job; store: LogStore }) {
  useLogVersion(store);
  const expected = useExpectedBytes(job);
  if (!PROGRESS_TYPES.includes(job.type) && !store.progress) return null;
  return <JobProgress progress={store.progress} expected={expected} job={job} />;
}

function LiveReadiness({ job, store }: { job: Job; store: LogStore }) {
  useLogVersion(store);
  // The curl carries a one-time token that marks the object ready: for operators only (the
  // API hides it from viewers' output too).
  const { can } = useSession();
  if (!can('operator') || !store.readinessCurl || (job.type !== 'prepare_client' && job.type !== 'prepare_repository')) return null;
  return <ReadinessCurl curl={store.readinessCurl} kind={job.type === 'prepare_client' ? 'client' : 'repository'} />;
}
