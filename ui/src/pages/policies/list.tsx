/** The policies list: search, filters the API offers (type, enabled, schedule, repository), launch per row. */
import { useEffect, useState } from 'preact/hooks';
import { StatusBadge, Unusable } from '../../components/badges';
import { ListView, yesNoFilter, type Column, type Filter } from '../../components/list';
import { PageHeader } from '../../layout/Layout';
import { api } from '../../lib/api';
import { formatDate, formatRelative } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Job, Page } from '../../lib/types';
import { useLaunch } from './launch';
import { useLookups } from './lookups';
import { POLICY_TYPES, type Policy } from './types';
import './policies.css';

/**
 * The newest backup of a policy. The policy API carries no last result, so each row asks
 * /jobs for one row (newest first); rows come and go with the page, so it is read once per row shown.
 */
function LastResult({ policy }: { policy: number }) {
  const [job, setJob] = useState<Job | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    api<Page<Job>>('GET', `/jobs?policy=${policy}&type=backup&page_size=1`)
      .then((p) => live && setJob(p.results[0] ?? null))
      .catch(() => live && setJob(null));
    return () => {
      live = false;
    };
  }, [policy]);
  if (job === undefined) return <span class="hint">…</span>;
  if (job === null) return <span class="hint">never run</span>;
  const when = job.finished ?? job.started ?? job.created;
  return (
    <a href={`/jobs/${job.id}`} class="last-result" title={formatDate(when)}>
      <StatusBadge status={job.status} /> {formatRelative(when)}
    </a>
  );
}

export function PolicyList() {
  useTitle('Policies');
  const { can } = useSession();
  const lookups = useLookups();
  const [reloadKey, setReloadKey] = useState(0);
  const { dialog, launch, busy, result } = useLaunch(() => setReloadKey((k) => k + 1));

  const filters: Filter[] = [
    { name: 'type', label: 'Type', options: [['', 'Any'], ...POLICY_TYPES.map((t): [string, string] => [t, t])] },
    yesNoFilter('enabled', 'Enabled', 'Enabled', 'Disabled'),
    { name: 'schedule', label: 'Schedule', options: [['', 'Any'], ...lookups.schedules.map((s): [string, string] => [String(s.id), s.name])] },
    { name: 'repository', label: 'Repository', options: [['', 'Any'], ...lookups.repositories.map((r): [string, string] => [String(r.id), r.name])] },
  ];

  const columns: Column<Policy>[] = [
    {
      label: 'Name',
      sort: 'name',
      render: (p) => (
        <>
          <a href={`/policies/${p.id}`}>{p.name}</a>
          <Unusable usable={p.usable} reasons={p.unusable_reasons} />
        </>
      ),
    },
    { label: 'Type', render: (p) => <code class="policy-type">{p.type}</code> },
    { label: 'Schedule', render: (p) => <a href={`/schedules/${p.schedule}`}>{lookups.scheduleName(p.schedule)}</a> },
    { label: 'Repository', render: (p) => <a href={`/repositories/${p.repository}`}>{lookups.repositoryName(p.repository)}</a> },
    { label: 'Clients', class: 'num', render: (p) => <a href={`/clients?policy=${p.id}`}>{p.clients.length}</a> },
    {
      label: 'Next run',
      render: (p) =>
        p.next_run ? (
          <time dateTime={p.next_run} title={formatDate(p.next_run)}>
            {formatRelative(p.next_run)}
          </time>
        ) : (
          '—'
        ),
    },
    { label: 'Last backup', render: (p) => <LastResult policy={p.id} /> },
  ];
  if (can('operator')) {
    columns.push({
      label: 'Actions',
      render: (p) => (
        <button type="button" class="secondary" aria-label={`Launch ${p.name}`} disabled={busy === p.id} onClick={() => void launch(p, lookups.repositoryName(p.repository))}>
          Launch
        </button>
      ),
    });
  }

  return (
    <section>
      <PageHeader title="Policies">
        {can('admin') && (
          <a class="button" href="/policies/new">
            New policy
          </a>
        )}
      </PageHeader>
      {result}
      <ListView<Policy> endpoint="/policies" noun="policy" columns={columns} filters={filters} search defaultOrder="name" toggle={(p) => p.name} reloadKey={reloadKey} empty="No policies yet." />
      {dialog}
    </section>
  );
}
