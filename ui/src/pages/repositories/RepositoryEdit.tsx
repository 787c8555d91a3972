/**
 * /repositories/:id — a repository's detail (everyone), operator actions (prepare,
 * check), and for admins the edit form and delete. /repositories/new: the create form.
 */
import { PageHeader } from '../../layout/Layout';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { PrepareAction } from '../clients/prepare';
import { NotAllowed, RecordStatus, useDelete, useRecord } from '../../components/record';
import { useRelays } from '../relays/relay-select';
import { CheckAction } from './check';
import { RepositoryDetail } from './RepositoryDetail';
import { RepositoryForm } from './RepositoryForm';
import type { Repository } from './types';

export function RepositoryEdit() {
  const state = useRecord<Repository>('/repositories');
  const { relays } = useRelays();
  const { can } = useSession();
  const [dialog, remove] = useDelete('/repositories', '/repositories');
  const r = state.record;
  useTitle(state.isNew ? 'New repository' : r ? `Repository ${r.name}` : 'Repository');

  if (state.isNew) {
    if (!can('admin')) return <NotAllowed what="add repositories" list="/repositories" />;
    return (
      <section>
        <PageHeader title="New repository" />
        <RepositoryForm relays={relays} />
      </section>
    );
  }
  if (!r) return <RecordStatus state={state} noun="repository" list="/repositories" />;
  return (
    <section>
      {dialog}
      <PageHeader title={`Repository ${r.name}`}>
        <a class="button secondary" href={`/jobs?repository=${r.id}`}>
          Jobs of this repository
        </a>
        {can('admin') && (
          <button type="button" class="danger" onClick={() => remove(r.id, `repository ${r.name}`, 'Only this record is deleted: the borg repository and its archives stay where they are.')}>
            Delete
          </button>
        )}
      </PageHeader>
      <RepositoryDetail repository={r} relays={relays} />
      {can('operator') && (
        <section class="card" aria-labelledby="repository-actions-title">
          <h2 class="card-title" id="repository-actions-title">Actions</h2>
          <p class="hint">Prepare initialises the repository when it does not exist yet (else proves the passphrase opens it) and records its sizes.</p>
          <PrepareAction endpoint="/repositories" id={r.id} what={`repository ${r.name}`} />
          <CheckAction id={r.id} name={r.name} />
        </section>
      )}
      {can('admin') && <RepositoryForm key={r.id} repository={r} relays={relays} />}
    </section>
  );
}
