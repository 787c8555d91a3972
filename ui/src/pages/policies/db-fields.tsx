/**
 * Database options: MySQL credentials (user, port, a write-only password) and the database
 * list, for the whole policy and per client. The password is never shown: the API reports
 * only has_password, and a new one is sealed in the browser to the relay's key (see
 * form-model and edit.tsx) before it leaves.
 */
import { Field } from '../../components/form';
import type { ApiFailure } from '../../lib/api';
import type { DbEntry } from './form-model';
import type { RelayRef } from './types';

interface Props {
  entry: DbEntry;
  onChange: (e: DbEntry) => void;
  /** `options` or `options.per_client.<id>`: the API's field prefix. */
  prefix: string;
  error: ApiFailure | null;
  /** mysql: user, port and password too; postgresql: databases only. */
  credentials: boolean;
  relay: RelayRef | null;
  readOnly: boolean;
  /** What an empty database list means here. */
  emptyMeans: string;
}

export function DbFields({ entry, onChange, prefix, error, credentials, relay, readOnly, emptyMeans }: Props) {
  const patch = (p: Partial<DbEntry>) => onChange({ ...entry, ...p });
  const pw = entry.password;
  const sealHint = !relay
    ? 'Sealed in your browser to the relay’s key before it is sent.'
    : relay.public_key
      ? `Sealed in your browser to relay ${relay.name}’s key before it is sent; never shown again.`
      : `Relay ${relay.name} has not registered its key yet (pair it first): a password cannot be stored.`;
  return (
    <div class="db-fields">
      {credentials && (
        <div class="grid">
          <Field label="Database user" name={`${prefix}.user`} error={error}>
            <input value={entry.user} onInput={(e) => patch({ user: e.currentTarget.value })} autocomplete="off" />
          </Field>
          <Field label="Port" name={`${prefix}.port`} error={error} hint="Empty: 3306.">
            <input type="number" min={1} max={65535} step={1} value={entry.port} onInput={(e) => patch({ port: e.currentTarget.value })} />
          </Field>
          <div>
            <Field
              label="Password"
              name={`${prefix}.password`}
              error={error}
              hint={
                <>
                  {pw.has ? (
                    <span class="badge ok" data-has-password="true">
                      a password is stored
                    </span>
                  ) : (
                    <span class="badge muted" data-has-password="false">
                      no password stored
                    </span>
                  )}{' '}
                  {readOnly ? '' : pw.has ? `Type a new one to replace it. ${sealHint}` : sealHint}
                </>
              }
            >
              <input type="password" value={pw.value} disabled={pw.remove} autocomplete="new-password" onInput={(e) => patch({ password: { ...pw, value: e.currentTarget.value } })} />
            </Field>
            {pw.has && !readOnly && (
              <label class="inline-check">
                <input type="checkbox" checked={pw.remove} onChange={(e) => patch({ password: { ...pw, remove: e.currentTarget.checked, value: '' } })} /> Remove the stored password
              </label>
            )}
          </div>
        </div>
      )}
      <Field label="Databases" name={`${prefix}.databases`} error={error} hint={`One a line; empty: ${emptyMeans}.`}>
        <textarea rows={3} value={entry.databases} onInput={(e) => patch({ databases: e.currentTarget.value })} spellcheck={false} />
      </Field>
    </div>
  );
}
