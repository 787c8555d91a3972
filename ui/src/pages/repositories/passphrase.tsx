/**
 * The write-only passphrase. It is never prefilled (the API never returns it, only
 * has_passphrase); a new value is SEALED IN THIS BROWSER to the chosen relay's public
 * key (shared/sealed.ts, WebCrypto) and sent as `passphrase_sealed`, so the clear text
 * never leaves the page. Without a relay key (relay not paired) there is nothing to seal
 * to, so the input is disabled and says why.
 */
import { seal } from '../../../../shared/sealed';
import { api, ApiFailure } from '../../lib/api';
import { Field, fieldReasons } from '../../components/form';
import type { Relay } from '../relays/types';

export type PassphraseMode = 'keep' | 'set' | 'remove';

export interface PassphraseValues {
  encryption: string;
  passphrase_mode: PassphraseMode;
  passphrase: string;
  passphrase_repeat: string;
}

/** A form error made here (before any request), shown like the API's. */
const localError = (field: string, reason: string) => new ApiFailure(400, { error: { code: 'invalid', message: 'Check the passphrase.', fields: { [field]: [reason] } } });

/**
 * The passphrase part of the request body: `passphrase_sealed` (sealed text, or null to
 * remove) or nothing (keep). Throws an ApiFailure-shaped error for the form when the
 * input cannot be sent.
 */
export async function passphraseBody(v: PassphraseValues, relay: Relay | undefined, hasPassphrase: boolean | undefined): Promise<{ passphrase_sealed?: string | null }> {
  if (v.encryption === 'none') return {};
  if (v.passphrase_mode === 'remove') return { passphrase_sealed: null };
  if (v.passphrase_mode === 'keep') return {};
  if (v.passphrase === '') {
    // Nothing stored and nothing typed: saved without one (the repository says it is
    // unusable until one is set). Something stored: an empty "replace" is a mistake.
    if (!hasPassphrase) return {};
    throw localError('passphrase', 'Enter the new passphrase, or keep the current one.');
  }
  if (v.passphrase !== v.passphrase_repeat) throw localError('passphrase_repeat', 'Does not match the passphrase.');
  if (!relay) throw localError('passphrase', 'Choose the relay first: the passphrase is sealed to its key.');
  // The relay's key as it is now, not as the page loaded it: a relay paired again since then
  // has a new key, and a value sealed to the old one could never be opened.
  const current = await api<Relay>('GET', `/relays/${relay.id}`);
  if (!current.public_key) throw localError('passphrase', 'The relay has no public key to seal to; pair it first.');
  return { passphrase_sealed: await seal(current.public_key, v.passphrase) };
}

interface Props {
  values: PassphraseValues;
  set: <K extends keyof PassphraseValues>(key: K, value: PassphraseValues[K]) => void;
  error: ApiFailure | null;
  relay: Relay | undefined;
  /** undefined for a new repository */
  hasPassphrase?: boolean;
  relayChanged: boolean;
}

export function PassphraseFields({ values: v, set, error, relay, hasPassphrase, relayChanged }: Props) {
  const isNew = hasPassphrase === undefined;
  const noKey = !!relay && !relay.public_key;
  const sealedReasons = fieldReasons(error, 'passphrase_sealed');
  if (v.encryption === 'none') {
    return (
      <fieldset>
        <legend>Passphrase</legend>
        <p class="hint">An unencrypted repository takes no passphrase{hasPassphrase ? '; the one set is removed on save' : ''}.</p>
      </fieldset>
    );
  }
  const radio = (mode: PassphraseMode, label: string) => (
    <label class="radio">
      <input type="radio" name="passphrase_mode" value={mode} checked={v.passphrase_mode === mode} onChange={() => set('passphrase_mode', mode)} /> {label}
    </label>
  );
  return (
    <fieldset class="passphrase">
      <legend>Passphrase</legend>
      {!isNew && (
        <p data-testid="passphrase-state">
          {hasPassphrase ? (
            <>
              <span class="badge ok">set</span> A passphrase is set. It is never shown.
            </>
          ) : (
            <>
              <span class="badge warn">missing</span> No passphrase is set: the repository cannot be used until one is.
            </>
          )}
        </p>
      )}
      {!isNew && (
        <div class="radios" role="radiogroup" aria-label="Passphrase change">
          {hasPassphrase && radio('keep', 'Keep it')}
          {radio('set', hasPassphrase ? 'Replace it' : 'Set one')}
          {hasPassphrase && radio('remove', 'Remove it')}
        </div>
      )}
      {relayChanged && hasPassphrase && <p class="hint">Moving to another relay needs the passphrase again: the stored one is sealed to the old relay's key.</p>}
      {noKey && (
        <p class="notice-inline" role="note">
          Relay <a href={`/relays/${relay.id}`}>{relay.name}</a> is not paired yet, so it has no public key to seal the passphrase to. Pair the relay first; the passphrase is only ever sent sealed.
        </p>
      )}
      {v.passphrase_mode === 'set' && (
        <div class="grid">
          <Field label={hasPassphrase ? 'New passphrase' : 'Passphrase'} name="passphrase" error={error} hint={relay?.public_key ? `Sealed in this browser to relay ${relay.name}'s key before it is sent.` : undefined}>
            <input type="password" value={v.passphrase} onInput={(e) => set('passphrase', e.currentTarget.value)} disabled={noKey || !relay} autocomplete="new-password" />
          </Field>
          <Field label="Repeat passphrase" name="passphrase_repeat" error={error} hint="It cannot be read back later: keep a copy somewhere safe.">
            <input type="password" value={v.passphrase_repeat} onInput={(e) => set('passphrase_repeat', e.currentTarget.value)} disabled={noKey || !relay} autocomplete="new-password" />
          </Field>
        </div>
      )}
      {sealedReasons.length > 0 && (
        <p class="field-error" data-field="passphrase_sealed">
          {sealedReasons.join(' ')}
        </p>
      )}
    </fieldset>
  );
}
