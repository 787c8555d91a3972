/**
 * One relay: its status (live), the pairing command right after creation or a re-issue,
 * and for admins the edit form, a new pairing token and delete.
 */
import { useEffect, useState } from 'preact/hooks';
import { PageHeader } from '../../layout/Layout';
import { EnabledBadge } from '../../components/badges';
import { usePolling } from '../../lib/poll';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { IssuePairing, PairingPanel, takePairing } from './pairing';
import { NotAllowed, RecordStatus, useDelete, useRecord } from '../../components/record';
import { RelayForm } from './RelayForm';
import { ConnectedBadge, KeyBadge, PairedBadge } from './status';
import { Ago } from '../../components/time';
import type { Pairing, Relay } from './types';

export function RelayEdit() {
  const state = useRecord<Relay>('/relays');
  const { can } = useSession();
  const relay = state.record;
  useTitle(state.isNew ? 'New relay' : relay ? `Relay ${relay.name}` : 'Relay');
  // Status changes (paired, connected, last seen) show without a reload.
  usePolling(() => (state.id !== null ? state.reload() : undefined), 5000, [state.id]);
  const [pairing, setPairing] = useState<Pairing | null>(null);
  // The router keeps this component from /relays/new to /relays/<id>: pick the hand-over up per id.
  useEffect(() => setPairing(state.id !== null ? takePairing(state.id) : null), [state.id]);
  const [dialog, remove] = useDelete('/relays', '/relays');

  if (state.isNew) {
    if (!can('admin')) return <NotAllowed what="add relays" list="/relays" />;
    return (
      <section>
        <PageHeader title="New relay" />
        <RelayForm />
      </section>
    );
  }
  if (!relay) return <RecordStatus state={state} noun="relay" list="/relays" />;
  return (
    <section>
      {dialog}
      <PageHeader title={`Relay ${relay.name}`}>
        {can('admin') && <IssuePairing relayId={relay.id} relayName={relay.name} onIssued={setPairing} />}
        {can('admin') && (
          <button type="button" class="danger" onClick={() => remove(relay.id, `relay ${relay.name}`, 'Clients and repositories that use it must be moved or deleted first.')}>
            Delete
          </button>
        )}
      </PageHeader>
      {pairing && <PairingPanel pairing={pairing} relayName={relay.name} />}
      <section class="card" aria-labelledby="relay-status-title">
        <h2 class="card-title" id="relay-status-title">Status</h2>
        <dl class="meta">
          <dt>Connection</dt>
          <dd>
            <ConnectedBadge relay={relay} />
          </dd>
          <dt>Pairing</dt>
          <dd>
            <PairedBadge relay={relay} />
          </dd>
          <dt>Sealing key</dt>
          <dd>
            <KeyBadge relay={relay} />{' '}
            {relay.public_key && (
              // Every P-256 SPKI key starts alike; its end tells keys apart. The whole key is in the title (and the admin's form).
              <code class="key" title={relay.public_key}>
                …{relay.public_key.slice(-16)}
              </code>
            )}
          </dd>
          <dt>Version</dt>
          <dd>{relay.version ?? '—'}</dd>
          <dt>Last seen</dt>
          <dd>
            <Ago iso={relay.last_seen} />
          </dd>
          <dt>State</dt>
          <dd>
            <EnabledBadge enabled={relay.enabled} />
          </dd>
          <dt>Objects</dt>
          <dd>
            <a href={`/clients?relay=${relay.id}`}>Its clients</a> · <a href={`/repositories?relay=${relay.id}`}>its repositories</a> · <a href={`/jobs?relay=${relay.id}`}>its jobs</a>
          </dd>
        </dl>
        {!relay.paired && !pairing && (
          <p class="hint">
            Not paired yet.{' '}
            {can('admin') ? 'Use “New pairing token” for a pairing command if the one shown at creation is lost.' : 'An admin can issue a pairing command.'}
          </p>
        )}
      </section>
      {can('admin') && <RelayForm relay={relay} />}
    </section>
  );
}
