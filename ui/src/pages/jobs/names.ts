/**
 * Names for the ids a job carries (client, policy, repository, relay), for lists and the
 * job page. A small cache shared by every page of this module: a list of 25 jobs names
 * a handful of objects, each fetched once (GET /{kind}/{id}) and kept for the session.
 * A deleted object (404) shows as its id.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api';

export type NamedKind = 'clients' | 'policies' | 'repositories' | 'relays';

const known = new Map<string, string>();
const pending = new Map<string, Promise<void>>();
const key = (kind: NamedKind, id: number) => `${kind}/${id}`;

function load(kind: NamedKind, id: number): Promise<void> {
  const k = key(kind, id);
  let p = pending.get(k);
  if (!p) {
    p = api<{ name?: string; hostname?: string }>('GET', `/${k}`)
      .then((o) => void known.set(k, o.hostname ?? o.name ?? `#${id}`))
      // Gone or not readable: the id is all there is to show. Kept, so a list polling every
      // 3 s does not ask again for a deleted object; a reload asks again.
      .catch(() => void known.set(k, `#${id}`))
      .finally(() => pending.delete(k));
    pending.set(k, p);
  }
  return p;
}

/** The name of an object, when already known. */
export function knownName(kind: NamedKind, id: number | null | undefined): string | undefined {
  return id == null ? undefined : known.get(key(kind, id));
}

/**
 * Loads the names of `ids` of each kind and re-renders once they are known; returns a
 * lookup that falls back to `#id` meanwhile.
 */
export function useNames(wanted: Partial<Record<NamedKind, (number | null | undefined)[]>>): (kind: NamedKind, id: number | null | undefined) => string {
  const [, setVersion] = useState(0);
  const missing: [NamedKind, number][] = [];
  for (const [kind, ids] of Object.entries(wanted) as [NamedKind, (number | null | undefined)[]][]) {
    for (const id of new Set(ids)) if (id != null && !known.has(key(kind, id))) missing.push([kind, id]);
  }
  const signature = missing.map(([k, id]) => `${k}/${id}`).join(',');
  useEffect(() => {
    if (!missing.length) return;
    let live = true;
    void Promise.all(missing.map(([k, id]) => load(k, id))).then(() => live && setVersion((v) => v + 1));
    return () => {
      live = false;
    };
  }, [signature]);
  return (kind, id) => (id == null ? '—' : (known.get(key(kind, id)) ?? `#${id}`));
}
