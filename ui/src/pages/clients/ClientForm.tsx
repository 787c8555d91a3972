/**
 * Create or edit a client (admin). Every field the API takes; the API's reasons show
 * beside each field. An edit sends only what changed, so the audit log names the fields
 * and an unchanged address does not make the client "not ready".
 */
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { Field, FormError, numberOrNull, useForm } from '../../components/form';
import { defaultRelayId, RelayOptions } from '../relays/relay-select';
import type { Relay } from '../relays/types';
import type { Client } from './types';

interface Values {
  hostname: string;
  port: string;
  ssh_user: string;
  relay: string;
  bandwidth_limit: string;
  behind_firewall: boolean;
  mark_as_to_update: boolean;
  host_key_fingerprint: string;
  enabled: boolean;
}

const FIELDS = ['hostname', 'port', 'ssh_user', 'relay', 'bandwidth_limit', 'behind_firewall', 'mark_as_to_update', 'host_key_fingerprint', 'enabled'];

const toValues = (c?: Client): Values => ({
  hostname: c?.hostname ?? '',
  port: String(c?.port ?? 22),
  ssh_user: c?.ssh_user ?? '',
  relay: c ? String(c.relay) : '',
  bandwidth_limit: c?.bandwidth_limit == null ? '' : String(c.bandwidth_limit),
  behind_firewall: c?.behind_firewall ?? false,
  mark_as_to_update: c?.mark_as_to_update ?? false,
  host_key_fingerprint: c?.host_key_fingerprint ?? '',
  enabled: c?.enabled ?? true,
});

/** The API body; an empty user is left out (the API's backup_user setting applies). */
function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {
    hostname: v.hostname.trim(),
    port: numberOrNull(v.port),
    relay: numberOrNull(v.relay),
    bandwidth_limit: numberOrNull(v.bandwidth_limit),
    behind_firewall: v.behind_firewall,
    mark_as_to_update: v.mark_as_to_update,
    host_key_fingerprint: v.host_key_fingerprint.trim() || null,
    enabled: v.enabled,
  };
  if (v.ssh_user.trim()) body.ssh_user = v.ssh_user.trim();
  return body;
}

export function ClientForm({ client, relays }: { client?: Client; relays: Relay[] | null }) {
  const initial = toValues(client);
  const form = useForm<Values>(initial);
  const { values: v, set } = form;
  const notices = useNotices();
  const { route } = useLocation();

  // A new client starts on the seeded relay once the relays are known.
  useEffect(() => {
    if (!client && relays?.length && !v.relay) set('relay', defaultRelayId(relays));
  }, [relays]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!client) {
      const created = await form.submit((vals) => api<Client>('POST', '/clients', toBody(vals)));
      if (!created) return;
      notices.success(`Client ${created.hostname} added. Prepare it so it can be backed up.`);
      route(`/clients/${created.id}`);
      return;
    }
    const before = toBody(initial);
    const after = toBody(v);
    if (v.ssh_user.trim() === '' && initial.ssh_user !== '') after.ssh_user = '';
    const diff = Object.fromEntries(Object.entries(after).filter(([k, val]) => JSON.stringify(val) !== JSON.stringify(before[k])));
    if (!Object.keys(diff).length) return notices.info('Nothing changed.');
    const saved = await form.submit(() => api<Client>('PATCH', `/clients/${client.id}`, diff));
    if (!saved) return;
    notices.success(`Client ${saved.hostname} saved.${saved.ready || !client.ready ? '' : ' It must be prepared again.'}`);
    route('/clients');
  };

  const text = (key: 'hostname' | 'port' | 'ssh_user' | 'bandwidth_limit' | 'host_key_fingerprint') => ({
    value: v[key],
    onInput: (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value),
  });

  return (
    <form class="card" onSubmit={submit} noValidate {...(client ? { 'aria-labelledby': 'client-form-title' } : { 'aria-label': 'New client' })}>
      {client && (
        <h2 class="card-title" id="client-form-title">
          Edit client
        </h2>
      )}
      <FormError error={form.error} shown={FIELDS} />
      <div class="grid">
        <Field label="Hostname" name="hostname" error={form.error} hint="DNS name or IP address the relay reaches over SSH.">
          <input {...text('hostname')} required autocomplete="off" spellcheck={false} />
        </Field>
        <Field label="Port" name="port" error={form.error} hint="SSH port, 1 to 65535.">
          <input type="number" inputMode="numeric" {...text('port')} min={1} max={65535} />
        </Field>
        <Field label="SSH user" name="ssh_user" error={form.error} hint={client ? undefined : 'Empty: the backup user setting (root by default).'}>
          <input {...text('ssh_user')} autocomplete="off" spellcheck={false} />
        </Field>
        <Field label="Relay" name="relay" error={form.error} hint="The relay of the client's site; a policy's clients and repository share one relay.">
          <select value={v.relay} onChange={(e) => set('relay', e.currentTarget.value)}>
            <RelayOptions relays={relays} current={v.relay} />
          </select>
        </Field>
        <Field label="Bandwidth limit (KiB/s)" name="bandwidth_limit" error={form.error} hint="Empty for no limit.">
          <input type="number" inputMode="numeric" {...text('bandwidth_limit')} min={1} />
        </Field>
        <Field label="Host key fingerprint" name="host_key_fingerprint" error={form.error} hint="SHA256:… as ssh-keygen -lf shows it. Empty: pinned on the next connection.">
          <input {...text('host_key_fingerprint')} autocomplete="off" spellcheck={false} />
        </Field>
      </div>
      <Field label="Behind a firewall" name="behind_firewall" error={form.error} hint="Push backups reach the repository through a reverse tunnel the relay opens for the job.">
        <input type="checkbox" checked={v.behind_firewall} onChange={(e) => set('behind_firewall', e.currentTarget.checked)} />
      </Field>
      <Field label="Prepare again before the next backup" name="mark_as_to_update" error={form.error} hint="For example after upgrading borg on the host.">
        <input type="checkbox" checked={v.mark_as_to_update} onChange={(e) => set('mark_as_to_update', e.currentTarget.checked)} />
      </Field>
      <Field label="Enabled" name="enabled" error={form.error} hint="A disabled client is skipped by its policies and never overdue.">
        <input type="checkbox" checked={v.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
      </Field>
      <div class="form-actions">
        <button type="submit" disabled={form.busy}>
          {client ? 'Save client' : 'Add client'}
        </button>
        <a class="button secondary" href="/clients">
          Cancel
        </a>
      </div>
    </form>
  );
}
