/**
 * Domain vocabulary shared by the Worker, the relay and the UI.
 * One home for every enum so that a value accepted by the API is one the relay
 * and the UI understand too.
 */

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Rank of a role: a route that needs `operator` is open to `admin` too. */
export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const POLICY_TYPES = [
  'rootfs',
  'vm',
  'mysql',
  'postgresql',
  'piped',
  'config',
  'mail',
  'folders',
  'proxmox',
] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const JOB_TYPES = [
  'backup',
  'prepare_client',
  'prepare_repository',
  'catalog',
  'prune',
  'compact',
  'check',
  'restore',
] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATUSES = [
  'new',
  'pending',
  'waiting',
  'starting',
  'running',
  'successful',
  'failed',
  'error',
  'canceled',
  'lost',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses of a job that has not ended yet: it blocks its client and repository. */
export const ACTIVE_JOB_STATUSES = ['new', 'pending', 'waiting', 'starting', 'running'] as const satisfies readonly JobStatus[];
/** Statuses after which a job never changes again. */
export const FINISHED_JOB_STATUSES = ['successful', 'failed', 'error', 'canceled', 'lost'] as const satisfies readonly JobStatus[];

export const LAUNCH_TYPES = ['manual', 'scheduled', 'relaunch', 'dependency'] as const;
export type LaunchType = (typeof LAUNCH_TYPES)[number];

export const ENCRYPTION_MODES = ['repokey-blake2', 'repokey', 'keyfile-blake2', 'none'] as const;
export type EncryptionMode = (typeof ENCRYPTION_MODES)[number];

export const SETTING_TYPES = ['string', 'integer', 'boolean', 'secret'] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

export const NOTIFICATION_KINDS = [
  'backup_failed',
  'backup_succeeded',
  'summary',
  'daily_report',
  'weekly_report',
  'monthly_report',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type NotificationPreferences = Record<NotificationKind, boolean>;

export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'login',
  'login_failed',
  'logout',
  'token_create',
  'token_revoke',
  'launch',
  'cancel',
  'relaunch',
  'prepare',
  'check',
  'restore',
  'ready',
  'setup',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Paths that a rootfs backup never descends into, before the user's excludes. */
export const ROOTFS_BUILTIN_EXCLUDES = [
  '/dev',
  '/proc',
  '/sys',
  '/run',
  '/var/run',
  '/tmp',
  '/mnt',
  '/media',
  '/lost+found',
  '/var/lib/lxcfs',
] as const;
