/**
 * The jobs list: every job, newest first, refreshed every 3 s so statuses change while
 * you look. Filters (status groups, type, launch type) are selects; links from other
 * pages narrow it by client, policy, repository, relay or master job through the query
 * (`/jobs?client=3`), shown as removable chips.
 */
import { useLocation } from 'preact-iso';
import { JOB_TYPES, LAUNCH_TYPES } from '../../../../shared/domain';
import { qs } from '../../lib/api';
import { useTitle } from '../../lib/title';
import { ACTIVE_JOB_STATUSES, FAILED_JOB_STATUSES, JOB_STATUSES, type Job } from '../../lib/types';
import { ListView, type Column, type Filter } from '../../components/list';
import { StatusBadge } from '../../components/badges';
import { PageHeader } from '../../layout/Layout';
import { Ago } from '../../components/time';
import { jobDuration, ShortTime, typeLabel } from './job-format';
import { useNames, type NamedKind } from './names';
import './jobs.css';

const FILTERS: Filter[] = [
  {
    name: 'status',
    label: 'Status',
    options: [
      ['', 'Any'],
      [ACTIVE_JOB_STATUSES.join(','), 'Active (new … running)'],
      [FAILED_JOB_STATUSES.join(','), 'Failed (failed, error, lost)'],
      ...JOB_STATUSES.map((s): [string, string] => [s, s]),
    ],
  },
  { name: 'type', label: 'Type', options: [['', 'Any'], ...JOB_TYPES.map((t): [string, string] => [t, typeLabel(t)])] },
  { name: 'launch_type', label: 'Launched', options: [['', 'Any'], ...LAUNCH_TYPES.map((t): [string, string] => [t, t])] },
];

/** Query parameters other pages link with; each narrows the list and shows as a chip. */
const SCOPES: { param: string; label: string; kind?: NamedKind }[] = [
  { param: 'client', label: 'Client', kind: 'clients' },
  { param: 'policy', label: 'Policy', kind: 'policies' },
  { param: 'repository', label: 'Repository', kind: 'repositories' },
  { param: 'relay', label: 'Relay', kind: 'relays' },
  { param: 'master_job', label: 'Chain of job' },
];

export function JobList() {
  useTitle('Jobs');
  const loc = useLocation();
  const q = loc.query;
  const fixed: Record<string, string> = {};
  for (const s of SCOPES) if (q[s.param]) fixed[s.param] = q[s.param]!;
  const scopeId = (param: string) => (q[param] && /^\d+$/.test(q[param]!) ? Number(q[param]) : null);
  const chipNames = useNames({ clients: [scopeId('client')], policies: [scopeId('policy')], repositories: [scopeId('repository')], relays: [scopeId('relay')] });
  const without = (param: string) => {
    const next = { ...q };
    delete next[param];
    return loc.path + qs(next);
  };
  const active = SCOPES.filter((s) => q[s.param]);
  return (
    <section>
      <PageHeader title="Jobs" />
      {active.length > 0 && (
        <ul class="chips" aria-label="Narrowed to">
          {active.map((s) => (
            <li key={s.param}>
              {s.label}: <strong>{s.kind && scopeId(s.param) ? chipNames(s.kind, scopeId(s.param)) : `#${q[s.param]}`}</strong>{' '}
              <a href={without(s.param)} aria-label={`Remove the ${s.label.toLowerCase()} filter`}>
                ✕
              </a>
            </li>
          ))}
        </ul>
      )}
      <JobTable filters={withCurrent(FILTERS, q)} fixed={fixed} />
    </section>
  );
}

/** A filter value from a link that is none of the options (`status=failed,canceled`) is added, so the select shows it. */
function withCurrent(filters: Filter[], q: Record<string, string>): Filter[] {
  return filters.map((f) => {
    const v = q[f.name];
    return v && !f.options.some(([o]) => o === v) ? { ...f, options: [...f.options, [v, v.replace(/,/g, ', ')]] } : f;
  });
}

/** The table itself; its rows' names are looked up per page shown. */
function JobTable({ filters, fixed }: { filters: Filter[]; fixed: Record<string, string> }) {
  const columns: Column<Job>[] = [
    { label: 'Job', render: (j) => <a href={`/jobs/${j.id}`}>#{j.id}</a> },
    { label: 'Type', render: (j) => typeLabel(j.type) },
    { label: 'Status', render: (j) => <JobStatusCell job={j} /> },
    { label: 'Policy', render: (j) => <Name kind="policies" id={j.policy} /> },
    { label: 'Client', render: (j) => <Name kind="clients" id={j.client} /> },
    { label: 'Archive', render: (j) => (j.archive_name ? <span class="mono archive">{j.archive_name}</span> : '—') },
    { label: 'Created', sort: 'created', render: (j) => <Ago iso={j.created} none="—" /> },
    { label: 'Started', render: (j) => <ShortTime iso={j.started} /> },
    { label: 'Duration', render: (j) => <span class="nowrap">{jobDuration(j)}</span>, class: 'num' },
    { label: 'Why', render: (j) => (j.explanation ? <span class="explanation">{j.explanation}</span> : '') },
  ];
  return <ListView<Job> endpoint="/jobs" noun="job" columns={columns} filters={filters} defaultOrder="-created" pollMs={3000} fixed={fixed} empty="No jobs match." />;
}

function JobStatusCell({ job }: { job: Job }) {
  return (
    <>
      <StatusBadge status={job.status} />
      {job.cancel_requested && !['canceled', 'successful', 'failed', 'error', 'lost'].includes(job.status) && <span class="badge muted">cancel requested</span>}
    </>
  );
}

/** One name cell; each looks up its own id (cached across rows and polls). */
function Name({ kind, id }: { kind: NamedKind; id: number | null }) {
  const name = useNames({ [kind]: [id] });
  if (id === null) return <span class="muted">—</span>;
  const path = kind === 'clients' ? 'clients' : kind;
  return <a href={`/${path}/${id}`}>{name(kind, id)}</a>;
}
