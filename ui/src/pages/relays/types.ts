/** The relay as the API shows it (worker/api/relays/index.ts). */
import type { Tracked } from '../../lib/types';

export interface Relay extends Tracked {
  name: string;
  /** ECDH P-256 key (base64url SPKI) secrets for this relay are sealed to; null until paired. */
  public_key: string | null;
  paired: boolean;
  last_seen: string | null;
  version: string | null;
  connected: boolean;
  enabled: boolean;
}

/** A one-time pairing token and the command that uses it on the relay host. */
export interface Pairing {
  token: string;
  expires: string;
  command: string;
}
