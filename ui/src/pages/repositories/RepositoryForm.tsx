/**
 * Create or edit a repository (admin). Sends only what changed on an edit; the
 * passphrase part is built by passphrase.tsx (sealed in the browser, never in clear).
 */
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiFailure } from '../../lib/api';
import { formatBytes } from '../../lib/format';
import { useNotices } from '../../lib/notices';
import { Field, FormError, useForm } from '../../components/form';
import { defaultRelayId, RelayOptions } from '../relays/relay-select';
import type { Relay } from '../relays/types';
import { PassphraseFields, passphraseBody, type PassphraseValues } from './passphrase';
import { ENCRYPTION_MODES, type Repository } from './types';

interface Values extends PassphraseValues {
  name: string;
  path: string;
  relay: string;
  append_only: boolean;
  /** In GiB for the person; the API takes bytes. */
  quota_gib: string;
  enabled: boolean;
}

const GIB = 1024 ** 3;
const FIELDS = ['name', 'path', 'relay', 'encryption', 'passphrase', 'passphrase_repeat', 'passphrase_sealed', 'append_only', 'quota_bytes', 'enabled'];

const toValues = (r?: Repository): Values => ({
  name: r?.name ?? '',
  path: r?.path ?? '',
  relay: r ? String(r.relay) : '',
  encryption: r?.encryption ?? 'repokey-blake2',
  passphrase_mode: r?.has_passphrase ? 'keep' : 'set',
  passphrase: '',
  passphrase_repeat: '',
  append_only: r?.append_only ?? false,
  quota_gib: r?.quota_bytes == null ? '' : String(+(r.quota_bytes / GIB).toFixed(3)),
  enabled: r?.enabled ?? true,
});

/** The non-secret fields, as the API takes them. */
function toBody(v: Values): Record<string, unknown> {
  const quota = v.quota_gib.trim() === '' ? null : Math.round(Number(v.quota_gib) * GIB);
  return {
    name: v.name.trim(),
    path: v.path.trim(),
    relay: v.relay === '' ? null : Number(v.relay),
    encryption: v.encryption,
    append_only: v.append_only,
    quota_bytes: Number.isNaN(quota) ? 'not a number' : quota,
    enabled: v.enabled,
  };
}

export function RepositoryForm({ repository, relays }: { repository?: Repository; relays: Relay[] | null }) {
  const initial = toValues(repository);
  const form = useForm<Values>(initial);
  const { values: v, set } = form;
  const notices = useNotices();
  const { route } = useLocation();
  const relay = relays?.find((r) => String(r.id) === v.relay);

  useEffect(() => {
    if (!repository && relays?.length && !v.relay) set('relay', defaultRelayId(relays));
  }, [relays]);

  const submit = async (e: Event) => {
    e.preventDefault();
    form.setError(null);
    let secret: { passphrase_sealed?: string | null };
    try {
      secret = await passphraseBody(v, relay, repository?.has_passphrase);
    } catch (err) {
      if (err instanceof ApiFailure) return form.setError(err);
      throw err;
    }
    if (!repository) {
      const created = await form.submit((vals) => api<Repository>('POST', '/repositories', { ...toBody(vals), ...secret }));
      if (!created) return;
      notices.success(`Repository ${created.name} added.${created.has_passphrase || created.encryption === 'none' ? ' Prepare it to initialise it.' : ' Set its passphrase before use.'}`);
      route(`/repositories/${created.id}`);
      return;
    }
    const before = toBody(initial);
    const after = toBody(v);
    const diff: Record<string, unknown> = Object.fromEntries(Object.entries(after).filter(([k, val]) => JSON.stringify(val) !== JSON.stringify(before[k])));
    Object.assign(diff, secret);
    if (!Object.keys(diff).length) return notices.info('Nothing changed.');
    const saved = await form.submit(() => api<Repository>('PATCH', `/repositories/${repository.id}`, diff));
    if (!saved) return;
    notices.success(`Repository ${saved.name} saved.`);
    route('/repositories');
  };

  const quotaBytes = Number(v.quota_gib) * GIB;
  return (
    <form class="card" onSubmit={submit} noValidate {...(repository ? { 'aria-labelledby': 'repository-form-title' } : { 'aria-label': 'New repository' })}>
      {repository && (
        <h2 class="card-title" id="repository-form-title">
          Edit repository
        </h2>
      )}
      <FormError error={form.error} shown={FIELDS} />
      <div class="grid">
        <Field label="Name" name="name" error={form.error}>
          <input value={v.name} onInput={(e) => set('name', e.currentTarget.value)} required maxLength={100} autocomplete="off" />
        </Field>
        <Field label="Path" name="path" error={form.error} hint="user@host:/path, ssh://user@host:port/path, or an absolute path on the relay host.">
          <input value={v.path} onInput={(e) => set('path', e.currentTarget.value)} required autocomplete="off" spellcheck={false} />
        </Field>
        <Field label="Relay" name="relay" error={form.error} hint="The relay that reaches it; the passphrase is sealed to this relay's key.">
          <select value={v.relay} onChange={(e) => set('relay', e.currentTarget.value)}>
            <RelayOptions relays={relays} current={v.relay} />
          </select>
        </Field>
        <Field label="Encryption" name="encryption" error={form.error} hint={`${repository?.ready ? 'Fixed once the repository is initialised.' : 'Applied when the repository is initialised (prepare).'} repokey: the key is kept in the repository; keyfile: on the relay host.`}>
          <select value={v.encryption} onChange={(e) => set('encryption', e.currentTarget.value)} disabled={!!repository?.ready}>
            {ENCRYPTION_MODES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Quota (GiB)" name="quota_bytes" error={form.error} hint={v.quota_gib.trim() && quotaBytes > 0 ? `${formatBytes(quotaBytes)} (borg --storage-quota, set when the repository is initialised).` : 'Empty for no quota; at least 1 MiB.'}>
          <input type="number" inputMode="decimal" step="any" min={0} value={v.quota_gib} onInput={(e) => set('quota_gib', e.currentTarget.value)} />
        </Field>
      </div>
      <PassphraseFields values={v} set={(key, value) => set(key, value as Values[typeof key])} error={form.error} relay={relay} hasPassphrase={repository?.has_passphrase} relayChanged={!!repository && String(repository.relay) !== v.relay} />
      <Field label="Append-only" name="append_only" error={form.error} hint="borg init --append-only: archives can be added, deletions (prune) free no space. Applied when the repository is initialised.">
        <input type="checkbox" checked={v.append_only} onChange={(e) => set('append_only', e.currentTarget.checked)} />
      </Field>
      <Field label="Enabled" name="enabled" error={form.error} hint="A disabled repository gets no backups, checks or restores.">
        <input type="checkbox" checked={v.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
      </Field>
      <div class="form-actions">
        <button type="submit" disabled={form.busy}>
          {repository ? 'Save repository' : 'Add repository'}
        </button>
        <a class="button secondary" href="/repositories">
          Cancel
        </a>
      </div>
    </form>
  );
}
