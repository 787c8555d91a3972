/** Shapes of the API objects the UI shares between pages (see worker/api/<object>/). */
export type Role = 'viewer' | 'operator' | 'admin';

export interface Page<T> {
  count: number;
  count_exact: boolean;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface Tracked {
  id: number;
  created: string;
  modified: string;
  created_by: number | null;
  modified_by: number | null;
}

export interface Me extends Tracked {
  email: string;
  name: string;
  role: Role;
  active: boolean;
  auth: 'session' | 'token';
  scope: 'read' | 'write';
  notifications: Record<string, boolean>;
}

export const JOB_STATUSES = ['new', 'pending', 'waiting', 'starting', 'running', 'successful', 'failed', 'error', 'canceled', 'lost'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['new', 'pending', 'waiting', 'starting', 'running'];
export const FAILED_JOB_STATUSES: readonly JobStatus[] = ['failed', 'error', 'lost'];

export interface Job extends Tracked {
  type: string;
  policy: number | null;
  client: number | null;
  repository: number | null;
  relay: number | null;
  status: JobStatus;
  launch_type: string;
  depends_on?: number[];
  master_job: number | null;
  relaunch_of: number | null;
  attempt: number;
  archive_name: string | null;
  params: Record<string, unknown> | null;
  started: string | null;
  finished: string | null;
  elapsed_ms: number | null;
  exit_code: number | null;
  explanation: string | null;
  cancel_requested: boolean;
  original_size: number | null;
  compressed_size: number | null;
  deduplicated_size: number | null;
  file_count: number | null;
  result: Record<string, unknown> | null;
}

/** Fields every enable-able object has in lists. */
export interface Toggleable extends Tracked {
  enabled: boolean;
  usable?: boolean;
  unusable_reasons?: string[];
  ready?: boolean;
}
