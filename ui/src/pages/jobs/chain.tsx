/**
 * A job's chain: the jobs it waits for (depends_on), the backup it belongs to and that
 * backup's other jobs (master_job), and the job it retries. Each with its status and,
 * while it has not run, why (the API's explanation). Refreshed with the job.
 */
import { useState } from 'preact/hooks';
import { api, qs } from '../../lib/api';
import { usePolling } from '../../lib/poll';
import type { Job, Page } from '../../lib/types';
import { StatusBadge } from '../../components/badges';
import { isActive, typeLabel } from './job-format';

interface Chain {
  dependsOn: Job[];
  master: Job | null;
  family: Job[];
  relaunchOf: Job | null;
}

const getJob = (id: number) => api<Job>('GET', `/jobs/${id}`).catch(() => null);

async function loadChain(job: Job): Promise<Chain> {
  const masterId = job.master_job ?? job.id;
  const [dependsOn, master, family, relaunchOf] = await Promise.all([
    Promise.all((job.depends_on ?? []).map(getJob)),
    job.master_job ? getJob(job.master_job) : Promise.resolve(null),
    api<Page<Job>>('GET', `/jobs${qs({ master_job: masterId, page_size: 50, order_by: 'created' })}`).then((p) => p.results),
    job.relaunch_of ? getJob(job.relaunch_of) : Promise.resolve(null),
  ]);
  return { dependsOn: dependsOn.filter((j): j is Job => j !== null), master, family: family.filter((j) => j.id !== job.id), relaunchOf };
}

function JobItem({ job }: { job: Job }) {
  return (
    <li data-job={job.id}>
      <a href={`/jobs/${job.id}`}>
        #{job.id} {typeLabel(job.type)}
      </a>{' '}
      <StatusBadge status={job.status} />
      {job.explanation && <span class="explanation"> {job.explanation}</span>}
    </li>
  );
}

export function JobChain({ job }: { job: Job }) {
  const [chain, setChain] = useState<Chain | null>(null);
  const anyActive = isActive(job.status) || !!chain?.dependsOn.some((j) => isActive(j.status)) || !!chain?.family.some((j) => isActive(j.status));
  // Re-read when the job's status changes, and every 5 s while any job of the chain is active.
  usePolling(async () => setChain(await loadChain(job)), anyActive ? 5000 : 600_000, [job.id, job.status, (job.depends_on ?? []).join(',')]);
  if (!chain) return null;
  const { dependsOn, master, family, relaunchOf } = chain;
  if (!dependsOn.length && !master && !family.length && !relaunchOf) return null;
  return (
    <section class="card chain" aria-labelledby="chain-title">
      <h2 id="chain-title">Chain</h2>
      {dependsOn.length > 0 && (
        <>
          <h3>Waits for</h3>
          <p class="hint">This job starts once each of these has succeeded.</p>
          <ul class="chain-list">
            {dependsOn.map((j) => (
              <JobItem key={j.id} job={j} />
            ))}
          </ul>
        </>
      )}
      {master && (
        <>
          <h3>Backup</h3>
          <ul class="chain-list">
            <JobItem job={master} />
          </ul>
        </>
      )}
      {family.length > 0 && (
        <>
          <h3>{master ? 'Other jobs of this backup' : 'Jobs after this backup'}</h3>
          <ul class="chain-list">
            {family.map((j) => (
              <JobItem key={j.id} job={j} />
            ))}
          </ul>
        </>
      )}
      {relaunchOf && (
        <>
          <h3>Relaunch of</h3>
          <ul class="chain-list">
            <JobItem job={relaunchOf} />
          </ul>
        </>
      )}
    </section>
  );
}
