/**
 * /clients/:id — a client's detail (everyone), operator actions (prepare), and for
 * admins the edit form and delete. /clients/new is the create form (admins).
 */
import { PageHeader } from '../../layout/Layout';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { NotAllowed, RecordStatus, useDelete, useRecord } from '../../components/record';
import { useRelays } from '../relays/relay-select';
import { ClientDetail } from './ClientDetail';
import { ClientForm } from './ClientForm';
import { PrepareAction } from './prepare';
import type { Client } from './types';

export function ClientEdit() {
  const state = useRecord<Client>('/clients');
  const { relays } = useRelays();
  const { can } = useSession();
  const [dialog, remove] = useDelete('/clients', '/clients');
  const c = state.record;
  useTitle(state.isNew ? 'New client' : c ? `Client ${c.hostname}` : 'Client');

  if (state.isNew) {
    if (!can('admin')) return <NotAllowed what="add clients" list="/clients" />;
    return (
      <section>
        <PageHeader title="New client" />
        <ClientForm relays={relays} />
      </section>
    );
  }
  if (!c) return <RecordStatus state={state} noun="client" list="/clients" />;
  return (
    <section>
      {dialog}
      <PageHeader title={`Client ${c.hostname}`}>
        <a class="button secondary" href={`/jobs?client=${c.id}`}>
          Jobs of this client
        </a>
        {can('admin') && (
          <button type="button" class="danger" onClick={() => remove(c.id, `client ${c.hostname}`, 'Its jobs stay in the job history. A client used by policies or with active jobs cannot be deleted.')}>
            Delete
          </button>
        )}
      </PageHeader>
      <ClientDetail client={c} relays={relays} />
      {can('operator') && (
        <section class="card" aria-labelledby="client-actions-title">
          <h2 class="card-title" id="client-actions-title">Actions</h2>
          <p class="hint">Prepare checks (or installs) borg on the host, records its address, borg version and host key, and marks it ready.</p>
          <PrepareAction endpoint="/clients" id={c.id} what={`client ${c.hostname}`} />
        </section>
      )}
      {can('admin') && <ClientForm key={c.id} client={c} relays={relays} />}
    </section>
  );
}
