/** Create or edit a relay (admin): name, optional sealing public key, enabled. */
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { Field, FormError, useForm } from '../../components/form';
import { handOverPairing } from './pairing';
import type { Pairing, Relay } from './types';

interface Values {
  name: string;
  public_key: string;
  enabled: boolean;
}

const toBody = (v: Values) => ({ name: v.name, public_key: v.public_key.trim() === '' ? null : v.public_key.trim(), enabled: v.enabled });

export function RelayForm({ relay }: { relay?: Relay }) {
  // The values when the form opened: the page reloads the relay every few seconds, and a
  // key the relay registered meanwhile (pairing) must not read as "the admin cleared it".
  const [initial] = useState<Values>(() => ({ name: relay?.name ?? '', public_key: relay?.public_key ?? '', enabled: relay?.enabled ?? true }));
  const form = useForm<Values>(initial);
  const { values: v, set } = form;
  const notices = useNotices();
  const { route } = useLocation();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!relay) {
      const body = toBody(v);
      // Omitted rather than null: a new relay normally gets its key from `relay pair`.
      const created = await form.submit(() => api<Relay & { pairing: Pairing }>('POST', '/relays', body.public_key ? body : { name: body.name, enabled: body.enabled }));
      if (!created) return;
      handOverPairing(created.id, created.pairing);
      notices.success(`Relay ${created.name} created. Pair it with the command shown.`);
      route(`/relays/${created.id}`);
      return;
    }
    // Only what changed: the audit log names the fields, and a key change has its own checks.
    const before = toBody(initial);
    const after = toBody(v);
    const diff = Object.fromEntries(Object.entries(after).filter(([k, val]) => val !== before[k as keyof typeof before]));
    if (!Object.keys(diff).length) return notices.info('Nothing changed.');
    const saved = await form.submit(() => api<Relay>('PATCH', `/relays/${relay.id}`, diff));
    if (!saved) return;
    notices.success(`Relay ${saved.name} saved.`);
    route('/relays');
  };

  return (
    <form class="card" onSubmit={submit} noValidate {...(relay ? { 'aria-labelledby': 'relay-form-title' } : { 'aria-label': 'New relay' })}>
      {relay && (
        <h2 class="card-title" id="relay-form-title">
          Edit relay
        </h2>
      )}
      <FormError error={form.error} shown={['name', 'public_key', 'enabled']} />
      <Field label="Name" name="name" error={form.error} hint="One relay per site or network, e.g. the office LAN.">
        <input value={v.name} onInput={(e) => set('name', e.currentTarget.value)} required maxLength={100} autocomplete="off" />
      </Field>
      <Field
        label="Sealing public key"
        name="public_key"
        error={form.error}
        hint="Normally left empty: the relay registers its key when it pairs. Secrets (repository passphrases, database passwords) are sealed to this key. It cannot change while secrets are sealed to it."
      >
        <textarea value={v.public_key} onInput={(e) => set('public_key', e.currentTarget.value)} rows={2} spellcheck={false} />
      </Field>
      <Field label="Enabled" name="enabled" error={form.error} hint="A disabled relay gets no jobs.">
        <input type="checkbox" checked={v.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
      </Field>
      <div class="form-actions">
        <button type="submit" disabled={form.busy}>
          {relay ? 'Save relay' : 'Create relay'}
        </button>
        <a class="button secondary" href="/relays">
          Cancel
        </a>
      </div>
    </form>
  );
}
