/**
 * Objects the dashboard shows by name (a running job's client and policy, a policy's
 * schedule), fetched by id only when first needed and kept a few minutes, so a poll
 * every few seconds does not re-read them. A deleted object is remembered as missing.
 */
import { api, ApiFailure } from '../../lib/api';

const TTL_MS = 5 * 60_000;

export class Lookup<T> {
  private entries = new Map<number, { value: T | null; at: number }>();
  constructor(
    private readonly path: (id: number) => string,
    private readonly ttlMs = TTL_MS,
  ) {}

  /** The object (or null when it no longer exists), reading the API for ids not known or stale. */
  async get(id: number): Promise<T | null> {
    const hit = this.entries.get(id);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    try {
      const value = await api<T>('GET', this.path(id));
      this.entries.set(id, { value, at: Date.now() });
      return value;
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) {
        this.entries.set(id, { value: null, at: Date.now() });
        return null;
      }
      // A failed read keeps what was known before, rather than blanking the name.
      if (hit) return hit.value;
      throw err;
    }
  }

  /** Reads many ids at once (distinct, in parallel); the result is keyed by id. */
  async many(ids: Iterable<number | null>): Promise<Map<number, T | null>> {
    const distinct = [...new Set([...ids].filter((id): id is number => id !== null))];
    const values = await Promise.all(distinct.map((id) => this.get(id)));
    return new Map(distinct.map((id, i) => [id, values[i]!]));
  }
}
