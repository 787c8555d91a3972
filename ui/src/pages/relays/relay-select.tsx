/**
 * The relays, for pickers and for showing relay names in lists. Clients and
 * repositories pick their relay from this list; the repository form also needs the
 * chosen relay's public key to seal the passphrase in the browser.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api';
import type { Page } from '../../lib/types';
import type { Relay } from './types';

/** Every relay by name (the API's largest page; sites have a handful), or null while loading. */
export function useRelays(): { relays: Relay[] | null; error: string | null } {
  const [relays, setRelays] = useState<Relay[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api<Page<Relay>>('GET', '/relays?page_size=500&order_by=name')
      .then((p) => live && setRelays(p.results))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, []);
  return { relays, error };
}

export const relayName = (relays: Relay[] | null, id: number) => relays?.find((r) => r.id === id)?.name ?? `relay ${id}`;

/** Options for a <select> of relays (value = id); a disabled relay says so. */
export function RelayOptions({ relays, current }: { relays: Relay[] | null; current: string }) {
  if (!relays) return <option value={current}>{current ? `relay ${current}` : 'Loading…'}</option>;
  return (
    <>
      {!relays.some((r) => String(r.id) === current) && <option value={current}>{current ? `relay ${current}` : 'Choose a relay'}</option>}
      {relays.map((r) => (
        <option key={r.id} value={String(r.id)}>
          {r.name}
          {r.enabled ? '' : ' (disabled)'}
          {r.public_key ? '' : ' (not paired)'}
        </option>
      ))}
    </>
  );
}

/** The relay filter of a list: Any plus every relay. */
export const relayFilter = (relays: Relay[] | null) => ({
  name: 'relay',
  label: 'Relay',
  options: [['', 'Any'] as [string, string], ...(relays ?? []).map((r): [string, string] => [String(r.id), r.name])],
});

/** The relay to preselect in a new object's form: the seeded one (id 1) if present, else the first. */
export const defaultRelayId = (relays: Relay[]) => String((relays.find((r) => r.id === 1) ?? relays[0])?.id ?? '');
