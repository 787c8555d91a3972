/** The repository as the API shows it (worker/api/repositories/index.ts). */
import type { Toggleable } from '../../lib/types';

/** shared/domain.ts ENCRYPTION_MODES, with what each means for the form. */
export const ENCRYPTION_MODES: [string, string][] = [
  ['repokey-blake2', 'repokey-blake2 (recommended)'],
  ['repokey', 'repokey'],
  ['keyfile-blake2', 'keyfile-blake2'],
  ['none', 'none (not encrypted)'],
];

export interface Repository extends Toggleable {
  name: string;
  path: string;
  relay: number;
  encryption: string;
  has_passphrase: boolean;
  ready: boolean;
  original_size: number | null;
  compressed_size: number | null;
  deduplicated_size: number | null;
  append_only: boolean;
  quota_bytes: number | null;
  enabled: boolean;
  usable: boolean;
  unusable_reasons: string[];
}
