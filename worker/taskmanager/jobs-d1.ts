/**
 * The TaskManager's writes to job records in D1. Every status change is conditional
 * on the status it expects (`WHERE status = …`), so a late or duplicated message can
 * never move a job backwards or end it twice.
 */
import type { RelayMessage } from '../../shared/protocol';
import { GLOBAL_LIMIT_PREFIX, launchRankSql, type ActiveJob, type QueuedJob } from './waiting';

type Finish = Extract<RelayMessage, { type: 'finish' }>;

/** Pending jobs a dispatch round looks at (and gives a reason to), in dispatch order. */
export const QUEUE_WINDOW = 200;

/** A relay's pending jobs in dispatch order (?1 relay, ?2 how many). */
export const QUEUE_SQL = `SELECT id, client_id, repository_id, explanation FROM jobs
  WHERE relay_id = ?1 AND status = 'pending'
  ORDER BY created, ${launchRankSql('launch_type')}, id LIMIT ?2`;

export interface ActiveRow extends ActiveJob {
  status: 'starting' | 'running';
  attempt: number;
  modified: number;
  started: number | null;
  maxSeconds: number | null;
}

export interface DispatchState {
  relayName: string;
  limits: { relay: number; global: number };
  queue: QueuedJob[];
  active: ActiveRow[];
}

/**
 * Everything a dispatch round decides on, in one D1 round trip: the relay's pending jobs
 * in dispatch order (jobs_dispatch_idx: relay_id, status, created, then a small sort of
 * the jobs of equal `created`), every starting or running job of all relays (what is
 * busy and how many run: bounded by the global limit; jobs_status_idx), and the limits.
 */
export async function loadDispatchState(db: D1Database, relayId: number): Promise<DispatchState> {
  const [queue, active, settings, relay] = await db.batch<Record<string, unknown>>([
    db.prepare(QUEUE_SQL).bind(relayId, QUEUE_WINDOW),
    db.prepare(
      `SELECT j.id, j.relay_id, j.client_id, j.repository_id, j.status, j.attempt, j.modified, j.started, p.max_duration_seconds
         FROM jobs j LEFT JOIN policies p ON p.id = j.policy_id
        WHERE j.status IN ('starting', 'running')`,
    ),
    db.prepare("SELECT key, value FROM settings WHERE key IN ('max_concurrent_jobs', 'max_concurrent_jobs_global')"),
    db.prepare('SELECT name FROM relays WHERE id = ?').bind(relayId),
  ]);
  const setting = (key: string, fallback: number) => {
    const row = settings!.results.find((r) => r.key === key);
    const value = row ? Number(JSON.parse(String(row.value))) : NaN;
    return Number.isFinite(value) && value >= 1 ? value : fallback;
  };
  const id = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    relayName: String(relay!.results[0]?.name ?? relayId),
    limits: { relay: setting('max_concurrent_jobs', 4), global: setting('max_concurrent_jobs_global', 16) },
    queue: queue!.results.map((r) => ({ id: Number(r.id), clientId: id(r.client_id), repositoryId: id(r.repository_id), explanation: (r.explanation as string | null) ?? null })),
    active: active!.results.map((r) => ({
      id: Number(r.id),
      relayId: id(r.relay_id),
      clientId: id(r.client_id),
      repositoryId: id(r.repository_id),
      status: r.status as 'starting' | 'running',
      attempt: Number(r.attempt),
      modified: Number(r.modified),
      started: id(r.started),
      maxSeconds: id(r.max_duration_seconds),
    })),
  };
}

/**
 * Stores the waiting reasons that changed, on jobs still pending, and returns those that
 * were actually written (a reason already stored, or a job started meanwhile, is not).
 */
export async function saveWaitingReasons(db: D1Database, changed: { id: number; reason: string }[]): Promise<{ id: number; reason: string }[]> {
  if (!changed.length) return [];
  const { results } = await db
    .prepare(
      `UPDATE jobs SET explanation = r.value ->> '$.reason' FROM json_each(?1) AS r
        WHERE jobs.id = r.value ->> '$.id' AND jobs.status = 'pending' AND jobs.explanation IS NOT r.value ->> '$.reason'
        RETURNING id, explanation`,
    )
    .bind(JSON.stringify(changed))
    .all<{ id: number; explanation: string }>();
  return results.map((r) => ({ id: Number(r.id), reason: r.explanation }));
}

/**
 * pending → starting, and its waiting reason cleared; false if someone else took it or if,
 * by now, its client or repository is busy or a limit is reached. The checks repeat the
 * plan's inside the one UPDATE, so two rounds (or two relays, for the global limit) that
 * planned on the same counts can never start more than the limits allow: D1 runs one
 * write at a time.
 */
export async function markStarting(db: D1Database, jobId: number, relayId: number, limits: { relay: number; global: number }): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE jobs SET status = 'starting', explanation = NULL, modified = ?2
        WHERE id = ?1 AND status = 'pending'
          AND (SELECT count(*) FROM jobs WHERE relay_id = ?3 AND status IN ('starting', 'running')) < ?4
          AND (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')) < ?5
          AND NOT EXISTS (SELECT 1 FROM jobs b WHERE b.status IN ('starting', 'running')
                            AND ((jobs.client_id IS NOT NULL AND b.client_id = jobs.client_id)
                              OR (jobs.repository_id IS NOT NULL AND b.repository_id = jobs.repository_id)))`,
    )
    .bind(jobId, Date.now(), relayId, limits.relay, limits.global)
    .run();
  return r.meta.changes === 1;
}

/** Other relays with jobs waiting on the global limit, those waiting longest first. */
export async function relaysWaitingOnGlobal(db: D1Database, relayId: number, limit: number): Promise<number[]> {
  const { results } = await db
    .prepare(
      `SELECT relay_id FROM jobs WHERE status = 'pending' AND relay_id != ?1 AND explanation LIKE ?2
        GROUP BY relay_id ORDER BY min(created) LIMIT ?3`,
    )
    .bind(relayId, `${GLOBAL_LIMIT_PREFIX}%`, limit)
    .all<{ relay_id: number }>();
  return results.map((r) => Number(r.relay_id));
}

/** starting → running, once the lease is granted. */
/**
 * starting → running: null when the job is no longer `starting` (e.g. the offer timed out
 * meanwhile), else whether a cancel was requested before it started (the relay is told at once).
 */
export async function markRunning(db: D1Database, jobId: number): Promise<{ cancelRequested: boolean } | null> {
  const now = Date.now();
  const row = await db
    .prepare("UPDATE jobs SET status = 'running', started = ?2, modified = ?2 WHERE id = ?1 AND status = 'starting' RETURNING cancel_requested")
    .bind(jobId, now)
    .first<{ cancel_requested: number }>();
  return row ? { cancelRequested: row.cancel_requested === 1 } : null;
}

/**
 * starting → pending: an offer the relay never answered, or a job left `starting` with
 * no offer behind it. Nothing was started: the relay runs a job only once it has its
 * `lease`, and the edge sends that only after D1 says `running`.
 */
export async function backToPending(db: D1Database, jobId: number): Promise<void> {
  await db.prepare("UPDATE jobs SET status = 'pending', modified = ?2 WHERE id = ?1 AND status = 'starting'").bind(jobId, Date.now()).run();
}

/** Ends an active job with a status and a reason, and settles the jobs that wait on it. */
export async function endJob(db: D1Database, jobId: number, status: 'failed' | 'error' | 'lost' | 'canceled', explanation: string): Promise<void> {
  const now = Date.now();
  await db.batch([
    db
      .prepare("UPDATE jobs SET status = ?2, explanation = ?3, finished = ?4, elapsed_ms = CASE WHEN started IS NULL THEN NULL ELSE ?4 - started END, modified = ?4 WHERE id = ?1 AND status IN ('starting', 'running')")
      .bind(jobId, status, explanation, now),
    ...failDependents(db, jobId, now),
  ]);
}

/** Writes the summary of a finished job (one batch) and settles its dependents. */
export async function finishJob(db: D1Database, msg: Finish): Promise<boolean> {
  const now = Date.now();
  const stats = archiveStats(msg.result);
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE jobs SET status = ?2, exit_code = ?3, explanation = ?4, result = ?5, finished = ?6,
                elapsed_ms = CASE WHEN started IS NULL THEN NULL ELSE ?6 - started END,
                original_size = ?7, compressed_size = ?8, deduplicated_size = ?9, file_count = ?10, modified = ?6
          WHERE id = ?1 AND attempt = ?11 AND status IN ('starting', 'running')`,
      )
      .bind(msg.jobId, msg.status, msg.exitCode, msg.explanation, msg.result ? JSON.stringify(msg.result) : null, now, stats.original, stats.compressed, stats.deduplicated, stats.files, msg.attempt),
    ...(msg.status === 'successful' ? promoteDependents(db, msg.jobId, now) : failDependents(db, msg.jobId, now)),
    ...repositorySizes(db, msg, now),
  ]);
  return (update?.meta.changes ?? 0) === 1;
}

/**
 * borg create's `--json` carries the repository's totals (`cache.stats`): a backup keeps the
 * repository's sizes current without a separate `borg info` job.
 */
function repositorySizes(db: D1Database, msg: Finish, now: number) {
  const stats = ((msg.result?.cache as Record<string, unknown> | undefined)?.stats ?? null) as Record<string, unknown> | null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null);
  if (msg.status !== 'successful' || !stats || num(stats.total_size) === null) return [];
  return [
    db
      .prepare(
        `UPDATE repositories SET original_size = ?2, compressed_size = ?3, deduplicated_size = ?4, modified = ?5
          WHERE id = (SELECT repository_id FROM jobs WHERE id = ?1 AND type = 'backup')`,
      )
      .bind(msg.jobId, num(stats.total_size), num(stats.total_csize), num(stats.unique_csize), now),
  ];
}

/** Waiting jobs whose every dependency succeeded become pending. */
function promoteDependents(db: D1Database, jobId: number, now: number) {
  return [
    db
      .prepare(
        `UPDATE jobs SET status = 'pending', modified = ?2
          WHERE status = 'waiting' AND id IN (SELECT job_id FROM job_dependencies WHERE depends_on_id = ?1)
            AND NOT EXISTS (SELECT 1 FROM job_dependencies d JOIN jobs p ON p.id = d.depends_on_id
                             WHERE d.job_id = jobs.id AND p.status != 'successful')`,
      )
      .bind(jobId, now),
  ];
}

/** The jobs that (transitively) wait on a job that did not succeed fail, saying why. */
function failDependents(db: D1Database, jobId: number, now: number) {
  return [
    db
      .prepare(
        `WITH RECURSIVE deps(id) AS (
           SELECT job_id FROM job_dependencies WHERE depends_on_id = ?1
           UNION SELECT d.job_id FROM job_dependencies d JOIN deps ON d.depends_on_id = deps.id)
         UPDATE jobs SET status = 'failed', finished = ?2, modified = ?2, explanation = ?3
          WHERE id IN (SELECT id FROM deps) AND status IN ('new', 'pending', 'waiting')`,
      )
      // The text is built here: D1 binds JS numbers as REAL, so SQL concatenation would say "8.0".
      .bind(jobId, now, `Not run: job ${jobId}, which it depends on, did not succeed.`),
  ];
}

/** Sizes and file count from borg's `--json` document of `create`, when present. */
export function archiveStats(result: Record<string, unknown> | null) {
  const stats = ((result?.archive as Record<string, unknown> | undefined)?.stats ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
  return { original: num(stats.original_size), compressed: num(stats.compressed_size), deduplicated: num(stats.deduplicated_size), files: num(stats.nfiles) };
}
