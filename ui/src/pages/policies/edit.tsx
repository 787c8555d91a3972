/**
 * One policy: the form (admins edit, everyone else reads it with the controls disabled),
 * and for an existing policy its next runs, recent jobs, launch and delete.
 */
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useRef, useState } from 'preact/hooks';
import { seal } from '../../../../shared/sealed';
import { Unusable } from '../../components/badges';
import { useConfirm } from '../../components/confirm';
import { FormError, useForm } from '../../components/form';
import { PageHeader } from '../../layout/Layout';
import { api, errorMessage } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Page } from '../../lib/types';
import { ClientPicker } from './client-picker';
import { COMMON_FIELD_NAMES, GeneralFields, HookFields, RetentionFields, TimingFields } from './common-fields';
import { NextRuns, RecentJobs } from './detail';
import { createBody, emptyValues, localFailure, secretsNeedingReentry, updateBody, valuesFromPolicy, type OptionValues, type PolicyValues, type Sealer } from './form-model';
import { useLaunch } from './launch';
import { useLookups, useRelay } from './lookups';
import { optionFieldNames, OptionsFields } from './options-fields';
import type { ClientRef, Policy, RelayRef } from './types';
import './policies.css';

export function PolicyEdit() {
  const { params } = useRoute();
  const { route } = useLocation();
  const isNew = params.id === 'new';
  const id = isNew ? null : Number(params.id);
  const { can } = useSession();
  const canEdit = can('admin');
  const notices = useNotices();
  const lookups = useLookups();
  const form = useForm<PolicyValues>(emptyValues());
  const { values, set, error } = form;
  const initial = useRef<PolicyValues>(emptyValues());
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [known, setKnown] = useState<Map<number, ClientRef>>(new Map());
  const [reloadKey, setReloadKey] = useState(0);
  const [confirmDelete, askDelete] = useConfirm();
  const { dialog: launchDialog, launch, busy: launching, result: launchResult } = useLaunch(() => setReloadKey((k) => k + 1));
  useTitle(isNew ? 'New policy' : (policy?.name ?? 'Policy'));

  const seen = (rows: ClientRef[]) =>
    setKnown((m) => {
      const next = new Map(m);
      for (const c of rows) next.set(c.id, c);
      return next;
    });

  useEffect(() => {
    if (id === null || !Number.isInteger(id)) return;
    let live = true;
    setPolicy(null);
    setLoadError(null);
    api<Policy>('GET', `/policies/${id}`)
      .then((p) => {
        if (!live) return;
        const v = valuesFromPolicy(p);
        initial.current = v;
        form.setAll(v);
        form.setError(null);
        setPolicy(p);
      })
      .catch((e) => live && setLoadError(errorMessage(e)));
    // The names of the policy's clients, for the chips and the per-client options.
    api<Page<ClientRef>>('GET', `/clients?policy=${id}&page_size=500`)
      .then((p) => live && seen(p.results))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [id]);

  const repository = lookups.repository(Number(values.repository));
  const relay = useRelay(repository?.relay);
  const setOpts = (patch: Partial<OptionValues>) => set('opts', { ...values.opts, ...patch });

  if (!isNew && (id === null || !Number.isInteger(id) || id < 1)) return <NotFoundPolicy />;
  if (loadError) return <NotFoundPolicy message={loadError} />;
  if (!isNew && !policy) return <p class="empty">Loading…</p>;

  /** Seals a typed password to the chosen repository's relay (read again now: it may have been paired meanwhile). */
  const sealer: Sealer = async (clear, field) => {
    if (!repository) throw localFailure({ repository: ['Choose a repository first: the password is sealed to its relay’s key.'] });
    const r = await api<RelayRef>('GET', `/relays/${repository.relay}`);
    if (!r.public_key) throw localFailure({ [field]: [`Relay ${r.name} has not registered its key yet; pair it, then type the password again.`] });
    return seal(r.public_key, clear);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const saved = await form.submit(async (v) => {
      const originalRelay = policy ? lookups.repository(policy.repository)?.relay : undefined;
      if (policy && repository && originalRelay !== undefined && repository.relay !== originalRelay) {
        const again = secretsNeedingReentry(v);
        if (again.length) throw localFailure(Object.fromEntries(again.map((f) => [f, ['Sealed to the old relay’s key: type it again for the new repository, or remove it.']])));
      }
      if (!policy) return { created: true, policy: await api<Policy>('POST', '/policies', await createBody(v, sealer)) };
      const body = await updateBody(initial.current, v, sealer);
      if (Object.keys(body).length === 0) return { created: false, policy, unchanged: true };
      return { created: false, policy: await api<Policy>('PATCH', `/policies/${policy.id}`, body) };
    });
    if (!saved) return;
    if ('unchanged' in saved) return notices.info('Nothing to save: no field changed.');
    notices.success(saved.created ? `Policy ${saved.policy.name} created.` : `Policy ${saved.policy.name} saved.`);
    route(saved.created ? `/policies/${saved.policy.id}` : '/policies');
  };

  const remove = async () => {
    if (!policy) return;
    const ok = await askDelete({ title: `Delete ${policy.name}?`, body: <p>The policy goes; its jobs and archives are kept. This cannot be undone.</p>, confirm: 'Delete', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `/policies/${policy.id}`);
      notices.success(`Policy ${policy.name} deleted.`);
      route('/policies');
    } catch (err) {
      notices.error(`Could not delete ${policy.name}: ${errorMessage(err)}`);
    }
  };

  const shown = [...COMMON_FIELD_NAMES, 'clients', ...optionFieldNames(values.type, values.clients)];
  const sectionProps = { values, set, error };

  return (
    <section class="policy-page">
      <PageHeader title={isNew ? 'New policy' : policy!.name}>
        {policy && can('operator') && (
          <button type="button" disabled={launching === policy.id} onClick={() => void launch(policy, lookups.repositoryName(policy.repository))}>
            Launch now
          </button>
        )}
        {policy && canEdit && (
          <button type="button" class="danger" onClick={() => void remove()}>
            Delete
          </button>
        )}
      </PageHeader>
      {policy && <Unusable usable={policy.usable} reasons={policy.unusable_reasons} />}
      {launchResult}
      {!canEdit && <p class="hint">Read only: only admins change policies.</p>}
      <div class={`policy-layout${policy ? ' has-aside' : ''}`}>
        <form class="card policy-form" onSubmit={save} noValidate aria-label={isNew ? 'New policy' : `Policy ${policy!.name}`}>
          <FormError error={error} shown={shown} />
          <fieldset class="plain" disabled={!canEdit}>
            <GeneralFields {...sectionProps} lookups={lookups} />
            <ClientPicker
              selected={values.clients}
              onChange={(ids) => set('clients', ids)}
              known={known}
              onSeen={seen}
              relay={repository?.relay}
              relayName={relay?.name}
              error={error}
              readOnly={!canEdit}
            />
            <OptionsFields values={values} setOpts={setOpts} error={error} known={known} relay={relay} readOnly={!canEdit} />
            <RetentionFields {...sectionProps} />
            <HookFields {...sectionProps} />
            <TimingFields {...sectionProps} />
          </fieldset>
          {canEdit && (
            <div class="form-actions">
              <button type="submit" disabled={form.busy}>
                {isNew ? 'Create policy' : 'Save'}
              </button>
              <a class="button secondary" href="/policies">
                Cancel
              </a>
            </div>
          )}
        </form>
        {policy && (
          <aside class="policy-aside">
            <NextRuns policy={policy.id} reloadKey={reloadKey} />
            <RecentJobs policy={policy.id} clients={known} reloadKey={reloadKey} />
          </aside>
        )}
      </div>
      {launchDialog}
      {confirmDelete}
    </section>
  );
}

function NotFoundPolicy({ message }: { message?: string }) {
  return (
    <section>
      <h1>Policy not found</h1>
      <p>
        {message ?? 'There is no such policy.'} <a href="/policies">Back to the policies</a>.
      </p>
    </section>
  );
}
