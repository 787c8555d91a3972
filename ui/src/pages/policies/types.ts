/** Shapes of the policy API (worker/api/policies) and of the objects a policy refers to. */
import type { PolicyType } from '../../../../shared/domain';
import type { Toggleable, Tracked } from '../../lib/types';

export { POLICY_TYPES, type PolicyType } from '../../../../shared/domain';

/** What each type backs up, for the type select and the launch confirmation. */
export const TYPE_LABELS: Record<PolicyType, string> = {
  rootfs: 'Root file system (/ minus system folders)',
  config: 'Configuration (/etc)',
  mail: 'Mail (/var/mail, /var/lib/mail)',
  folders: 'Folders',
  mysql: 'MySQL / MariaDB databases',
  postgresql: 'PostgreSQL databases',
  piped: 'Output of a command',
  proxmox: 'Proxmox guests',
  vm: 'libvirt virtual machines',
};

export interface Policy extends Toggleable {
  name: string;
  type: PolicyType;
  schedule: number;
  repository: number;
  clients: number[];
  /** As the API shows them: secrets only as has_password. */
  options: Record<string, unknown>;
  keep_within: string | null;
  keep_hourly: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
  keep_yearly: number | null;
  pre_hook: string | null;
  post_hook: string | null;
  compression: string;
  catalog_enabled: boolean;
  prune_enabled: boolean;
  mode_pull: boolean;
  max_duration_seconds: number | null;
  jitter_seconds: number;
  expected_interval_hours: number | null;
  next_run: string | null;
}

export interface ScheduleRef extends Tracked {
  name: string;
  crontab: string;
  timezone: string;
  enabled: boolean;
}

export interface RepositoryRef extends Toggleable {
  name: string;
  path: string;
  relay: number;
  encryption: string;
  has_passphrase: boolean;
}

export interface ClientRef extends Toggleable {
  hostname: string;
  relay: number;
  bandwidth_limit: number | null;
}

export interface RelayRef extends Tracked {
  name: string;
  public_key: string | null;
  enabled: boolean;
}

export interface Calendar {
  timezone: string;
  crontab: string;
  truncated: boolean;
  runs: string[];
}
