/** The API shapes the dashboard reads (worker/api/clients, policies, schedules, stats). */
import type { Tracked } from '../../lib/types';

export interface ClientBackup {
  policy: number;
  policy_name: string;
  last_success: string | null;
  expected_interval_hours: number;
  overdue: boolean;
}

export interface DashClient extends Tracked {
  hostname: string;
  enabled: boolean;
  backups: ClientBackup[];
  overdue: boolean;
}

export interface DashPolicy extends Tracked {
  name: string;
  type: string;
  schedule: number;
  enabled: boolean;
  usable?: boolean;
  unusable_reasons?: string[];
  jitter_seconds: number;
  next_run: string | null;
}

export interface DashSchedule extends Tracked {
  name: string;
  crontab: string;
  timezone: string;
  enabled: boolean;
  /** The next five run times (UTC ISO), without any policy's jitter. */
  next_runs: string[];
}

export interface StatsDay {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  successful: number;
  failed: number;
  original_size: number;
  deduplicated_size: number;
}
