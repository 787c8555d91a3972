/**
 * Reconnect delays: exponential backoff with full jitter (a uniformly random delay in
 * [0, min(cap, base·2^attempt)]), so a fleet of relays that lost the edge at the same
 * moment does not come back in lockstep.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, { baseMs, capMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
