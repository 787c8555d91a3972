/** A job's record as a definition list: what it is, for what, when, and how it ended. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../../lib/format';
import type { Job } from '../../lib/types';
import { StatusBadge } from '../../components/badges';
import { isActive, jobDuration, Time, typeLabel } from './job-format';
import { useNames, type NamedKind } from './names';

function Row({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** The current time, ticking every second while `on` (a running job's duration). */
function useNow(on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

export function JobDetails({ job }: { job: Job }) {
  const now = useNow(isActive(job.status) && job.started !== null);
  const name = useNames({ clients: [job.client], policies: [job.policy], repositories: [job.repository], relays: [job.relay] });
  const link = (kind: NamedKind, id: number | null) => (id === null ? <span class="muted">—</span> : <a href={`/${kind}/${id}`}>{name(kind, id)}</a>);
  const params = job.params ?? {};
  const paths = Array.isArray(params.paths) ? (params.paths as string[]) : null;
  const sized = job.original_size !== null || job.compressed_size !== null || job.deduplicated_size !== null;
  return (
    <section class="card" aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <dl class="meta job-meta">
        <Row term="Type">{typeLabel(job.type)}</Row>
        <Row term="Status">
          <StatusBadge status={job.status} />
          {job.cancel_requested && job.status !== 'canceled' && <span class="badge muted">cancel requested</span>}
        </Row>
        <Row term="Launched">{job.launch_type}</Row>
        <Row term="Policy">{link('policies', job.policy)}</Row>
        <Row term="Client">{link('clients', job.client)}</Row>
        <Row term="Repository">{link('repositories', job.repository)}</Row>
        <Row term="Relay">{link('relays', job.relay)}</Row>
        <Row term="Archive">{job.archive_name ? <span class="mono">{job.archive_name}</span> : '—'}</Row>
        <Row term="Attempt">
          {job.attempt}
          {job.relaunch_of && (
            <>
              {' '}
              (relaunch of <a href={`/jobs/${job.relaunch_of}`}>#{job.relaunch_of}</a>)
            </>
          )}
        </Row>
        {job.type === 'restore' && (
          <>
            <Row term="Paths">{paths?.length ? paths.map((p) => <code key={p}>{p} </code>) : 'the whole archive'}</Row>
            <Row term="Destination">{typeof params.destination === 'string' ? <code>{params.destination}</code> : '—'}</Row>
            <Row term="Dry run">{params.dry_run ? 'yes (nothing written)' : 'no'}</Row>
          </>
        )}
        <Row term="Created">
          <Time iso={job.created} />
        </Row>
        <Row term="Started">
          <Time iso={job.started} />
        </Row>
        <Row term="Finished">
          <Time iso={job.finished} />
        </Row>
        <Row term="Duration">{jobDuration(job, now)}</Row>
        <Row term="Exit code">{job.exit_code ?? '—'}</Row>
        {sized && (
          <Row term="Sizes">
            {formatBytes(job.original_size)} original, {formatBytes(job.compressed_size)} compressed, {formatBytes(job.deduplicated_size)} deduplicated
          </Row>
        )}
        {job.file_count !== null && <Row term="Files">{job.file_count.toLocaleString()}</Row>}
        <Row term="Why">{job.explanation ?? '—'}</Row>
      </dl>
    </section>
  );
}
