/**
 * D1 schema (drizzle-orm, SQLite dialect). `npm run db:generate` turns changes here
 * into SQL under migrations/; review every generated file (see docs/database.md).
 *
 * Timestamps are integer milliseconds since the epoch (`timestamp_ms`), so keyset
 * cursors compare plain integers.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type {
  AuditAction,
  EncryptionMode,
  JobStatus,
  JobType,
  LaunchType,
  NotificationPreferences,
  PolicyType,
  Role,
  SettingType,
  TokenScope,
} from '../../shared/domain';

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

/** Columns every object carries. */
const tracked = {
  id: integer('id').primaryKey({ autoIncrement: true }),
  created: integer('created', { mode: 'timestamp_ms' }).notNull().default(now),
  modified: integer('modified', { mode: 'timestamp_ms' }).notNull().default(now),
  createdBy: integer('created_by'),
  modifiedBy: integer('modified_by'),
};

export const users = sqliteTable(
  'users',
  {
    ...tracked,
    // Stored lower-cased: login is case-insensitive and the unique index enforces it.
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    role: text('role').$type<Role>().notNull().default('viewer'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    notifications: text('notifications', { mode: 'json' }).$type<NotificationPreferences>().notNull(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email), index('users_role_idx').on(t.role)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    created: integer('created', { mode: 'timestamp_ms' }).notNull().default(now),
    lastSeen: integer('last_seen', { mode: 'timestamp_ms' }).notNull().default(now),
    expires: integer('expires', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('sessions_token_unique').on(t.tokenHash), index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expires)],
);

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    ...tracked,
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    scope: text('scope').$type<TokenScope>().notNull(),
    tokenHash: text('token_hash').notNull(),
    prefix: text('prefix').notNull(),
    lastUsed: integer('last_used', { mode: 'timestamp_ms' }),
    expires: integer('expires', { mode: 'timestamp_ms' }),
    revoked: integer('revoked', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('api_tokens_hash_unique').on(t.tokenHash), index('api_tokens_user_idx').on(t.userId)],
);

/** Failed logins, counted per account and per client address for throttling. */
export const loginFailures = sqliteTable(
  'login_failures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    address: text('address').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('login_failures_email_idx').on(t.email, t.at), index('login_failures_address_idx').on(t.address, t.at)],
);

export const relays = sqliteTable(
  'relays',
  {
    ...tracked,
    name: text('name').notNull(),
    /** ECDH P-256 public key (base64url SPKI) that secrets for this relay are sealed to. */
    publicKey: text('public_key'),
    credentialHash: text('credential_hash'),
    /** One-time pairing token (keyed hash) and its expiry; cleared once used. */
    pairingTokenHash: text('pairing_token_hash'),
    pairingExpires: integer('pairing_expires', { mode: 'timestamp_ms' }),
    lastSeen: integer('last_seen', { mode: 'timestamp_ms' }),
    version: text('version'),
    connected: integer('connected', { mode: 'boolean' }).notNull().default(false),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [uniqueIndex('relays_name_unique').on(t.name)],
);

export const clients = sqliteTable(
  'clients',
  {
    ...tracked,
    hostname: text('hostname').notNull(),
    port: integer('port').notNull().default(22),
    sshUser: text('ssh_user').notNull().default('root'),
    relayId: integer('relay_id')
      .notNull()
      .references(() => relays.id),
    ip: text('ip'),
    borgVersion: text('borg_version'),
    ready: integer('ready', { mode: 'boolean' }).notNull().default(false),
    markAsToUpdate: integer('mark_as_to_update', { mode: 'boolean' }).notNull().default(false),
    bandwidthLimit: integer('bandwidth_limit'),
    behindFirewall: integer('behind_firewall', { mode: 'boolean' }).notNull().default(false),
    hostKeyFingerprint: text('host_key_fingerprint'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    uniqueIndex('clients_relay_host_port_unique').on(t.relayId, t.hostname, t.port),
    index('clients_hostname_idx').on(t.hostname),
    index('clients_enabled_idx').on(t.enabled),
    index('clients_ready_idx').on(t.ready),
  ],
);

export const repositories = sqliteTable(
  'repositories',
  {
    ...tracked,
    name: text('name').notNull(),
    path: text('path').notNull(),
    relayId: integer('relay_id')
      .notNull()
      .references(() => relays.id),
    /** Sealed to the relay's public key (see shared/sealed.ts); never returned by the API. */
    passphraseSealed: text('passphrase_sealed'),
    encryption: text('encryption').$type<EncryptionMode>().notNull().default('repokey-blake2'),
    ready: integer('ready', { mode: 'boolean' }).notNull().default(false),
    originalSize: integer('original_size'),
    compressedSize: integer('compressed_size'),
    deduplicatedSize: integer('deduplicated_size'),
    appendOnly: integer('append_only', { mode: 'boolean' }).notNull().default(false),
    quotaBytes: integer('quota_bytes'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    uniqueIndex('repositories_name_unique').on(t.name),
    index('repositories_relay_idx').on(t.relayId),
    index('repositories_enabled_idx').on(t.enabled),
    index('repositories_ready_idx').on(t.ready),
  ],
);

export const schedules = sqliteTable(
  'schedules',
  {
    ...tracked,
    name: text('name').notNull(),
    crontab: text('crontab').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [uniqueIndex('schedules_name_unique').on(t.name), index('schedules_enabled_idx').on(t.enabled)],
);

export const policies = sqliteTable(
  'policies',
  {
    ...tracked,
    name: text('name').notNull(),
    type: text('type').$type<PolicyType>().notNull(),
    scheduleId: integer('schedule_id')
      .notNull()
      .references(() => schedules.id),
    repositoryId: integer('repository_id')
      .notNull()
      .references(() => repositories.id),
    /** Type-specific options without secrets (see worker/api/policies/options.ts). */
    options: text('options', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Sealed secrets of the options (database passwords), keyed by option path. Never returned. */
    secrets: text('secrets', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    keepWithin: text('keep_within'),
    keepHourly: integer('keep_hourly'),
    keepDaily: integer('keep_daily'),
    keepWeekly: integer('keep_weekly'),
    keepMonthly: integer('keep_monthly'),
    keepYearly: integer('keep_yearly'),
    preHook: text('pre_hook'),
    postHook: text('post_hook'),
    compression: text('compression').notNull().default('lz4'),
    catalogEnabled: integer('catalog_enabled', { mode: 'boolean' }).notNull().default(true),
    pruneEnabled: integer('prune_enabled', { mode: 'boolean' }).notNull().default(true),
    modePull: integer('mode_pull', { mode: 'boolean' }).notNull().default(false),
    maxDurationSeconds: integer('max_duration_seconds'),
    /** Scheduled runs start up to this many seconds after the crontab's time (a fixed offset per policy), spreading load. */
    jitterSeconds: integer('jitter_seconds').notNull().default(0),
    /** How long after its last successful backup a client of this policy counts as overdue; null: the `overdue_hours` setting. */
    expectedIntervalHours: integer('expected_interval_hours'),
    nextRun: integer('next_run', { mode: 'timestamp_ms' }),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  },
  (t) => [
    uniqueIndex('policies_name_unique').on(t.name),
    index('policies_schedule_idx').on(t.scheduleId),
    index('policies_repository_idx').on(t.repositoryId),
    index('policies_type_idx').on(t.type),
    index('policies_enabled_idx').on(t.enabled),
    index('policies_next_run_idx').on(t.enabled, t.nextRun),
  ],
);

export const policyClients = sqliteTable(
  'policy_clients',
  {
    policyId: integer('policy_id')
      .notNull()
      .references(() => policies.id, { onDelete: 'cascade' }),
    clientId: integer('client_id')
      .notNull()
      .references(() => clients.id),
  },
  (t) => [primaryKey({ columns: [t.policyId, t.clientId] }), index('policy_clients_client_idx').on(t.clientId)],
);

export const jobs = sqliteTable(
  'jobs',
  {
    ...tracked,
    type: text('type').$type<JobType>().notNull(),
    policyId: integer('policy_id').references(() => policies.id, { onDelete: 'set null' }),
    clientId: integer('client_id').references(() => clients.id, { onDelete: 'set null' }),
    repositoryId: integer('repository_id').references(() => repositories.id, { onDelete: 'set null' }),
    relayId: integer('relay_id').references(() => relays.id, { onDelete: 'set null' }),
    status: text('status').$type<JobStatus>().notNull().default('new'),
    launchType: text('launch_type').$type<LaunchType>().notNull(),
    /** The job this one belongs to (a backup's catalog/prune/compact, a relaunch's origin chain). */
    masterJobId: integer('master_job_id'),
    /** The job this one was relaunched from. */
    relaunchOfId: integer('relaunch_of_id'),
    attempt: integer('attempt').notNull().default(1),
    archiveName: text('archive_name'),
    /** Restore/check parameters; never a secret. */
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>(),
    started: integer('started', { mode: 'timestamp_ms' }),
    finished: integer('finished', { mode: 'timestamp_ms' }),
    elapsedMs: integer('elapsed_ms'),
    exitCode: integer('exit_code'),
    explanation: text('explanation'),
    cancelRequested: integer('cancel_requested', { mode: 'boolean' }).notNull().default(false),
    originalSize: integer('original_size'),
    compressedSize: integer('compressed_size'),
    deduplicatedSize: integer('deduplicated_size'),
    fileCount: integer('file_count'),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('jobs_status_idx').on(t.status, t.id),
    index('jobs_type_idx').on(t.type, t.id),
    index('jobs_client_idx').on(t.clientId, t.id),
    // ?client=&status= (a client's failed jobs): counted from the index alone.
    index('jobs_client_status_idx').on(t.clientId, t.status, t.id),
    index('jobs_policy_idx').on(t.policyId, t.id),
    index('jobs_repository_idx').on(t.repositoryId, t.id),
    index('jobs_relay_idx').on(t.relayId, t.id),
    // A relay's queue in dispatch order (taskmanager/waiting.ts): one range of its pending
    // jobs by age; only jobs of equal `created` are sorted (by launch type, then id). Also
    // counts a relay's starting and running jobs from the index alone.
    index('jobs_dispatch_idx').on(t.relayId, t.status, t.created),
    index('jobs_master_idx').on(t.masterJobId),
    // The database itself refuses a second active backup of a client on a repository,
    // so two launches racing past the API's check cannot both write their jobs.
    uniqueIndex('jobs_one_active_backup')
      .on(t.clientId, t.repositoryId)
      .where(sql`type = 'backup' AND status IN ('new', 'pending', 'waiting', 'starting', 'running')`),
    index('jobs_launch_type_idx').on(t.launchType, t.id),
    index('jobs_created_idx').on(t.created, t.id),
    // Covers GET /stats: a range scan of one type's finished jobs that never touches the
    // table rows. `type` leads so the planner picks it even without ANALYZE statistics
    // (with `finished` first it chose jobs_type_idx and read every backup: 160 ms at 1M jobs).
    index('jobs_stats_idx').on(t.type, t.finished, t.status, t.originalSize, t.deduplicatedSize),
    // The newest successful backup of a (client, policy): max(finished) is one seek at the
    // end of its range, however many jobs there are (the clients' `backups` and ?overdue=).
    // Partial, so it holds successful backups only; a query uses it only when it repeats
    // this WHERE with the same literals (bound parameters do not match a partial index).
    index('jobs_last_success_idx')
      .on(t.clientId, t.policyId, t.finished)
      .where(sql`type = 'backup' AND status = 'successful'`),
  ],
);

/** Edges of the job chain: `jobId` may start only when every `dependsOnId` has ended. */
export const jobDependencies = sqliteTable(
  'job_dependencies',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    dependsOnId: integer('depends_on_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.dependsOnId] }), index('job_dependencies_on_idx').on(t.dependsOnId)],
);

/** One-time tokens a prepare job prints so that a host can mark itself ready by curl. */
export const readinessTokens = sqliteTable(
  'readiness_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: text('token_hash').notNull(),
    jobId: integer('job_id')
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    objectType: text('object_type').$type<'client' | 'repository'>().notNull(),
    objectId: integer('object_id').notNull(),
    created: integer('created', { mode: 'timestamp_ms' }).notNull().default(now),
    expires: integer('expires', { mode: 'timestamp_ms' }).notNull(),
    used: integer('used', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('readiness_tokens_hash_unique').on(t.tokenHash), index('readiness_tokens_job_idx').on(t.jobId)],
);

export const settings = sqliteTable(
  'settings',
  {
    key: text('key').primaryKey(),
    /** JSON-encoded value; a secret setting holds a sealed or hashed value, never returned. */
    value: text('value'),
    type: text('type').$type<SettingType>().notNull(),
    group: text('group').notNull(),
    label: text('label').notNull(),
    description: text('description').notNull().default(''),
    order: integer('order').notNull().default(0),
    modified: integer('modified', { mode: 'timestamp_ms' }).notNull().default(now),
    modifiedBy: integer('modified_by'),
  },
  (t) => [index('settings_group_idx').on(t.group, t.order)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull().default(now),
    userId: integer('user_id'),
    /** Email or token name at the time, kept when the user is deleted. */
    actor: text('actor').notNull(),
    action: text('action').$type<AuditAction>().notNull(),
    objectType: text('object_type').notNull(),
    objectId: integer('object_id'),
    /** Names of the fields changed, never their values (values may be secrets). */
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    address: text('address'),
  },
  (t) => [
    index('audit_log_object_idx').on(t.objectType, t.objectId, t.id),
    index('audit_log_user_idx').on(t.userId, t.id),
    index('audit_log_action_idx').on(t.action, t.id),
  ],
);
