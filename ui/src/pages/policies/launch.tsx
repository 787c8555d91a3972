/**
 * Launching a policy now (list rows and the policy page): always confirmed first, with what
 * will run (type, clients, repository); then POST /policies/{id}/launch. The result is
 * announced as a notice and kept on the page with links to the jobs (a notice holds text
 * only); a refusal (409: disabled, busy, no passphrase…) is an error notice with the API's reason.
 */
import { useState } from 'preact/hooks';
import { Unusable } from '../../components/badges';
import { useConfirm } from '../../components/confirm';
import { api, errorMessage } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import type { Job, Page } from '../../lib/types';
import { TYPE_LABELS, type ClientRef, type Policy } from './types';

interface Launched {
  policy: Pick<Policy, 'id' | 'name'>;
  jobs: Job[];
}

const SHOWN_CLIENTS = 20;

function Summary({ policy, repositoryName, clients, total }: { policy: Policy; repositoryName: string; clients: ClientRef[] | null; total: number }) {
  return (
    <>
      <dl class="meta">
        <dt>Type</dt>
        <dd>
          {policy.type}: {TYPE_LABELS[policy.type]}
        </dd>
        <dt>Repository</dt>
        <dd>{repositoryName}</dd>
        <dt>Clients</dt>
        <dd>
          {total === 0
            ? 'none'
            : clients
              ? `${clients.map((c) => c.hostname + (c.enabled ? '' : ' (disabled, skipped)')).join(', ')}${total > clients.length ? ` and ${total - clients.length} more` : ''}`
              : `${total}`}
        </dd>
      </dl>
      <p>One backup job per enabled client starts now, outside the schedule, with the prepare, catalog, prune and compact jobs it needs.</p>
      <Unusable usable={policy.usable} reasons={policy.unusable_reasons} />
    </>
  );
}

export function useLaunch(onLaunched?: () => void) {
  const [dialog, ask] = useConfirm();
  const notices = useNotices();
  const [busy, setBusy] = useState<number | null>(null);
  const [last, setLast] = useState<Launched | null>(null);

  const launch = async (policy: Policy, repositoryName: string) => {
    setBusy(policy.id);
    try {
      // Name the clients in the question; if that read fails, the count will do.
      const clients = await api<Page<ClientRef>>('GET', `/clients?policy=${policy.id}&order_by=hostname&page_size=${SHOWN_CLIENTS}`)
        .then((p) => p.results)
        .catch(() => null);
      const ok = await ask({
        title: `Launch ${policy.name} now?`,
        body: <Summary policy={policy} repositoryName={repositoryName} clients={clients} total={policy.clients.length} />,
        confirm: 'Launch',
      });
      if (!ok) return;
      const res = await api<{ jobs: Job[] }>('POST', `/policies/${policy.id}/launch`);
      const backups = res.jobs.filter((j) => j.type === 'backup');
      notices.success(
        `Launched ${policy.name}: ${res.jobs.length} job${res.jobs.length === 1 ? '' : 's'} created` +
          (backups.length ? ` (backup job${backups.length === 1 ? '' : 's'} ${backups.map((j) => `#${j.id}`).join(', ')}).` : '.'),
      );
      setLast({ policy, jobs: res.jobs });
      onLaunched?.();
    } catch (err) {
      notices.error(`Could not launch ${policy.name}: ${errorMessage(err)}`);
    } finally {
      setBusy(null);
    }
  };

  const result = last && <LaunchResult launched={last} onDismiss={() => setLast(null)} />;
  return { dialog, launch, busy, result };
}

/** The last launch, with links to its first backup job and to all the policy's jobs. */
function LaunchResult({ launched, onDismiss }: { launched: Launched; onDismiss: () => void }) {
  const { policy, jobs } = launched;
  const first = jobs.find((j) => j.type === 'backup') ?? jobs[0];
  const counts = new Map<string, number>();
  for (const j of jobs) counts.set(j.type, (counts.get(j.type) ?? 0) + 1);
  return (
    <div class="card launch-result" data-launch-result={policy.id}>
      <p>
        <strong>Launched {policy.name}</strong>: {[...counts].map(([t, n]) => `${n} ${t}`).join(', ')}.
      </p>
      <p class="actions">
        {first && <a href={`/jobs/${first.id}`}>Open {first.type} job #{first.id}</a>}
        <a href={`/jobs?policy=${policy.id}`}>All jobs of {policy.name}</a>
        <button type="button" class="secondary" onClick={onDismiss}>
          Dismiss
        </button>
      </p>
    </div>
  );
}
