/** The client as the API shows it (worker/api/clients/index.ts). */
import type { Toggleable } from '../../lib/types';

export interface ClientBackup {
  policy: number;
  policy_name: string;
  last_success: string | null;
  expected_interval_hours: number;
  overdue: boolean;
}

export interface Client extends Toggleable {
  hostname: string;
  port: number;
  ssh_user: string;
  relay: number;
  ip: string | null;
  borg_version: string | null;
  ready: boolean;
  mark_as_to_update: boolean;
  /** KiB/s; null for no limit. */
  bandwidth_limit: number | null;
  behind_firewall: boolean;
  host_key_fingerprint: string | null;
  enabled: boolean;
  usable: boolean;
  unusable_reasons: string[];
  backups: ClientBackup[];
  overdue: boolean;
}

/** The newest last success over a client's policies, or null. */
export const lastSuccess = (c: Client): string | null =>
  c.backups.reduce<string | null>((best, b) => (b.last_success && (!best || b.last_success > best) ? b.last_success : best), null);
