/**
 * The type-specific options (shared/policy-options.ts, docs/policies.md): what the form
 * shows changes with the type. Per-client parts (database lists and credentials, Proxmox
 * VM ids, libvirt domains) are offered for the selected clients only: the API refuses
 * entries for clients outside the policy.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Field } from '../../components/form';
import type { ApiFailure } from '../../lib/api';
import { DbFields } from './db-fields';
import { emptyDb, type DbEntry, type OptionValues, type PolicyValues } from './form-model';
import type { ClientRef, PolicyType, RelayRef } from './types';

interface Props {
  values: PolicyValues;
  setOpts: (patch: Partial<OptionValues>) => void;
  error: ApiFailure | null;
  known: Map<number, ClientRef>;
  relay: RelayRef | null;
  readOnly: boolean;
}

const EXCLUDE_HINT = 'One borg pattern a line (fnmatch; re:, sh:, pp:, pf: prefixes work).';

/** Names of the option fields shown for a type and clients, for FormError's "shown" list. */
export function optionFieldNames(type: PolicyType, clients: number[]): string[] {
  const per = (key: string) => clients.map((id) => `options.${key}.${id}`);
  switch (type) {
    case 'rootfs':
    case 'config':
    case 'mail':
      return ['options.excludes'];
    case 'folders':
      return ['options.folders', 'options.excludes'];
    case 'piped':
      return ['options.command', 'options.stdin_name'];
    case 'proxmox':
      return per('vmids');
    case 'vm':
      return per('domains');
    case 'postgresql':
      return ['options.databases', ...per('per_client')];
    case 'mysql':
      return ['options.user', 'options.port', 'options.password', 'options.databases', ...per('per_client')];
  }
}

const WHAT: Partial<Record<PolicyType, string>> = {
  rootfs: 'Backs up / without /dev, /proc, /sys, /run, /var/run, /tmp, /mnt, /media, /lost+found and /var/lib/lxcfs.',
  config: 'Backs up /etc.',
  mail: 'Backs up /var/mail and /var/lib/mail (those that exist).',
};

export function OptionsFields({ values, setOpts, error, known, relay, readOnly }: Props) {
  const o = values.opts;
  const type = values.type;
  const clientName = (id: number) => known.get(id)?.hostname ?? `client #${id}`;
  const clients = [...values.clients].sort((a, b) => clientName(a).localeCompare(clientName(b)));
  const setPer = (id: number, e: DbEntry) => setOpts({ perClient: { ...o.perClient, [String(id)]: e } });
  const noClients = <p class="empty">Select clients above to give them their own settings.</p>;

  return (
    <fieldset class="policy-options" data-type={type}>
      <legend>What to back up ({type})</legend>
      {WHAT[type] && <p class="hint">{WHAT[type]}</p>}

      {type === 'folders' && (
        <Field label="Folders" name="options.folders" error={error} hint="Absolute paths, one a line (at least one).">
          <textarea rows={4} value={o.folders} onInput={(e) => setOpts({ folders: e.currentTarget.value })} spellcheck={false} placeholder="/srv/data" />
        </Field>
      )}
      {(type === 'folders' || type === 'rootfs' || type === 'config' || type === 'mail') && (
        <Field label="Excludes" name="options.excludes" error={error} hint={EXCLUDE_HINT}>
          <textarea rows={3} value={o.excludes} onInput={(e) => setOpts({ excludes: e.currentTarget.value })} spellcheck={false} placeholder="*.tmp" />
        </Field>
      )}

      {type === 'piped' && (
        <div class="grid">
          <Field label="Command" name="options.command" error={error} hint="Run on the client; its standard output is the archive's content. Runs only if the relay's operator allowed piped commands.">
            <textarea rows={2} value={o.command} onInput={(e) => setOpts({ command: e.currentTarget.value })} spellcheck={false} />
          </Field>
          <Field label="Name in the archive" name="options.stdin_name" error={error} hint="Letters, digits, “.”, “_” and “-”.">
            <input value={o.stdinName} onInput={(e) => setOpts({ stdinName: e.currentTarget.value })} autocomplete="off" />
          </Field>
        </div>
      )}

      {(type === 'mysql' || type === 'postgresql') && (
        <>
          <fieldset>
            <legend>{type === 'mysql' ? 'Credentials and databases for every client' : 'Databases for every client'}</legend>
            <DbFields
              entry={o.db}
              onChange={(db) => setOpts({ db })}
              prefix="options"
              error={error}
              credentials={type === 'mysql'}
              relay={relay}
              readOnly={readOnly}
              emptyMeans={type === 'mysql' ? 'all databases' : 'the whole cluster (pg_dumpall)'}
            />
          </fieldset>
          <h3 class="per-client-title">Per client</h3>
          {clients.length === 0 && noClients}
          {clients.map((id) => {
            const entry = o.perClient[String(id)] ?? emptyDb();
            const used = !!(entry.user || entry.port || entry.databases || entry.password.has || entry.password.value);
            const prefix = `options.per_client.${id}`;
            const failing = !!error?.body.error.fields && Object.keys(error.body.error.fields).some((k) => k.startsWith(prefix));
            return (
              <PerClientDetails key={id} summary={`${clientName(id)}${used ? ' (own settings)' : ''}`} initiallyOpen={used} forceOpen={failing}>
                <fieldset>
                  <legend>Settings for {clientName(id)}</legend>
                  <p class="hint">{type === 'mysql' ? 'Empty fields use the settings above.' : 'Empty: the databases above.'}</p>
                  <DbFields
                    entry={entry}
                    onChange={(e) => setPer(id, e)}
                    prefix={prefix}
                    error={error}
                    credentials={type === 'mysql'}
                    relay={relay}
                    readOnly={readOnly}
                    emptyMeans="the list above"
                  />
                </fieldset>
              </PerClientDetails>
            );
          })}
        </>
      )}

      {(type === 'proxmox' || type === 'vm') && (
        <>
          <p class="hint">
            {type === 'proxmox'
              ? 'VM and container ids per client, separated by commas or spaces; empty: all guests of that host.'
              : 'libvirt domains per client, one a line; empty: all running domains of that host.'}
          </p>
          {clients.length === 0 && noClients}
          <div class="grid">
            {clients.map((id) => {
              const key = String(id);
              return type === 'proxmox' ? (
                <Field key={id} label={`VM ids on ${clientName(id)}`} name={`options.vmids.${id}`} error={error}>
                  <input value={o.vmids[key] ?? ''} onInput={(e) => setOpts({ vmids: { ...o.vmids, [key]: e.currentTarget.value } })} inputMode="numeric" placeholder="100, 101" autocomplete="off" />
                </Field>
              ) : (
                <Field key={id} label={`Domains on ${clientName(id)}`} name={`options.domains.${id}`} error={error}>
                  <textarea rows={2} value={o.domains[key] ?? ''} onInput={(e) => setOpts({ domains: { ...o.domains, [key]: e.currentTarget.value } })} spellcheck={false} />
                </Field>
              );
            })}
          </div>
        </>
      )}
    </fieldset>
  );
}

/**
 * A client's own settings, folded unless it has some (a long client list stays short). Its
 * open state is the user's once shown: typing must not fold it (it would if `open` followed
 * the content); an error inside opens it.
 */
function PerClientDetails({ summary, initiallyOpen, forceOpen, children }: { summary: string; initiallyOpen: boolean; forceOpen: boolean; children: ComponentChildren }) {
  const [open, setOpen] = useState(initiallyOpen);
  return (
    <details class="per-client" open={open || forceOpen} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{summary}</summary>
      {children}
    </details>
  );
}
