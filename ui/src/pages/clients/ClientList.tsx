/** The clients: search by host or IP, filters (enabled, ready, relay, overdue), last backup and overdue state. */
import { useLocation } from 'preact-iso';
import { ReadyBadge, Unusable } from '../../components/badges';
import { ListView, yesNoFilter, type Column } from '../../components/list';
import { PageHeader } from '../../layout/Layout';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { relayFilter, relayName, useRelays } from '../relays/relay-select';
import { Ago } from '../../components/time';
import { lastSuccess, type Client } from './types';

export function ClientList() {
  useTitle('Clients');
  const { can } = useSession();
  const { relays } = useRelays();
  // A link from a policy's client count (`/clients?policy=7`) narrows the list to its clients.
  const policyParam = useLocation().query.policy ?? '';
  const policy = /^\d+$/.test(policyParam) ? policyParam : undefined;
  const columns: Column<Client>[] = [
    {
      label: 'Hostname',
      sort: 'hostname',
      render: (c) => (
        <>
          <a href={`/clients/${c.id}`}>{c.hostname}</a>
          {c.port !== 22 && <span class="muted">:{c.port}</span>}
          <Unusable usable={c.usable} reasons={c.unusable_reasons} />
        </>
      ),
    },
    { label: 'Relay', render: (c) => relayName(relays, c.relay) },
    { label: 'Ready', render: (c) => <ReadyBadge ready={c.ready} /> },
    {
      label: 'Last backup',
      render: (c) =>
        c.backups.length === 0 ? (
          <span class="muted">in no policy</span>
        ) : (
          <>
            <Ago iso={lastSuccess(c)} /> {c.overdue && <span class="badge err">overdue</span>}
          </>
        ),
    },
    { label: 'Borg', render: (c) => c.borg_version ?? '—' },
    { label: 'Added', sort: 'created', render: (c) => <Ago iso={c.created} /> },
  ];
  return (
    <section>
      <PageHeader title="Clients">
        {can('admin') && (
          <a class="button" href="/clients/new">
            New client
          </a>
        )}
      </PageHeader>
      {policy && (
        <p class="muted">
          Only the clients of policy <a href={`/policies/${policy}`}>#{policy}</a> · <a href="/clients">all clients</a>
        </p>
      )}
      <ListView<Client>
        endpoint="/clients"
        noun="client"
        fixed={policy ? { policy } : {}}
        columns={columns}
        search
        defaultOrder="hostname"
        filters={[
          yesNoFilter('enabled', 'Enabled', 'Enabled', 'Disabled'),
          yesNoFilter('ready', 'Ready', 'Ready', 'Not ready'),
          relayFilter(relays),
          yesNoFilter('overdue', 'Overdue', 'Overdue', 'Not overdue'),
        ]}
        toggle={(c) => `client ${c.hostname}`}
        pollMs={30_000}
      />
    </section>
  );
}
