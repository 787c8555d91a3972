/** The relays: connection status live (polled), pairing state, version, last seen. */
import { ListView, yesNoFilter, type Column } from '../../components/list';
import { PageHeader } from '../../layout/Layout';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { Ago } from '../../components/time';
import { ConnectedBadge, KeyBadge, PairedBadge } from './status';
import type { Relay } from './types';

const columns: Column<Relay>[] = [
  { label: 'Name', sort: 'name', render: (r) => <a href={`/relays/${r.id}`}>{r.name}</a> },
  { label: 'Status', render: (r) => <ConnectedBadge relay={r} /> },
  { label: 'Paired', render: (r) => <PairedBadge relay={r} /> },
  { label: 'Sealing key', render: (r) => <KeyBadge relay={r} /> },
  { label: 'Version', render: (r) => r.version ?? '—' },
  { label: 'Last seen', render: (r) => <Ago iso={r.last_seen} /> },
  { label: 'Added', sort: 'created', render: (r) => <Ago iso={r.created} /> },
];

export function RelayList() {
  useTitle('Relays');
  const { can } = useSession();
  return (
    <section>
      <PageHeader title="Relays">
        {can('admin') && (
          <a class="button" href="/relays/new">
            New relay
          </a>
        )}
      </PageHeader>
      <p class="hint page-intro">A relay runs borg for the clients and repositories of one site. It connects out to this server; pair it once with the command shown when it is created.</p>
      <ListView<Relay>
        endpoint="/relays"
        noun="relay"
        columns={columns}
        search
        defaultOrder="name"
        filters={[
          yesNoFilter('enabled', 'Enabled', 'Enabled', 'Disabled'),
          yesNoFilter('connected', 'Connection', 'Connected', 'Disconnected'),
        ]}
        toggle={(r) => `relay ${r.name}`}
        pollMs={10_000}
      />
    </section>
  );
}
