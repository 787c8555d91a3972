/** The repositories: search by name or path, filters (enabled, ready, relay), passphrase state and size. */
import { ReadyBadge, Unusable } from '../../components/badges';
import { ListView, yesNoFilter, type Column } from '../../components/list';
import { PageHeader } from '../../layout/Layout';
import { formatBytes } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { relayFilter, relayName, useRelays } from '../relays/relay-select';
import { Ago } from '../../components/time';
import type { Repository } from './types';

export function RepositoryList() {
  useTitle('Repositories');
  const { can } = useSession();
  const { relays } = useRelays();
  const columns: Column<Repository>[] = [
    {
      label: 'Name',
      sort: 'name',
      render: (r) => (
        <>
          <a href={`/repositories/${r.id}`}>{r.name}</a>
          <Unusable usable={r.usable} reasons={r.unusable_reasons} />
        </>
      ),
    },
    { label: 'Path', render: (r) => <code>{r.path}</code> },
    { label: 'Relay', render: (r) => relayName(relays, r.relay) },
    { label: 'Ready', render: (r) => <ReadyBadge ready={r.ready} /> },
    {
      label: 'Passphrase',
      render: (r) =>
        r.encryption === 'none' ? <span class="badge muted">not encrypted</span> : <span class={`badge ${r.has_passphrase ? 'ok' : 'warn'}`}>{r.has_passphrase ? 'set' : 'missing'}</span>,
    },
    {
      label: 'Size',
      class: 'num',
      render: (r) => <span title={`original ${formatBytes(r.original_size)}, compressed ${formatBytes(r.compressed_size)}`}>{formatBytes(r.deduplicated_size)}</span>,
    },
    { label: 'Added', sort: 'created', render: (r) => <Ago iso={r.created} /> },
  ];
  return (
    <section>
      <PageHeader title="Repositories">
        {can('admin') && (
          <a class="button" href="/repositories/new">
            New repository
          </a>
        )}
      </PageHeader>
      <ListView<Repository>
        endpoint="/repositories"
        noun="repository"
        plural="repositories"
        columns={columns}
        search
        defaultOrder="name"
        filters={[yesNoFilter('enabled', 'Enabled', 'Enabled', 'Disabled'), yesNoFilter('ready', 'Ready', 'Ready', 'Not ready'), relayFilter(relays)]}
        toggle={(r) => `repository ${r.name}`}
        pollMs={30_000}
      />
    </section>
  );
}
