/**
 * The TaskManager's timers, in its SQLite: the jobs handed to the relay and when each must
 * be looked at again. The one alarm of the object is always set to the earliest of them.
 *
 * A lease row goes `offered` (offer sent, waiting for accept; `deadline` = the offer
 * timeout) → `leased` (running; `deadline` = lease expiry, pushed on by every log and
 * heartbeat) → `stopping` (the edge asked the relay to stop a job that overran its
 * maximum duration). `hard_deadline` is the edge's own guard on the policy's maximum
 * duration: when a leased job passes it the relay is sent `cancel`; when a stopping job
 * passes it (one grace later) the job is failed.
 */

/** A running job whose relay sends nothing (no log, no heartbeat) for this long is lost. */
export const LEASE_MS = 60_000;
/** An offer the relay does not accept within this time goes back to the queue. */
export const OFFER_MS = 30_000;
/**
 * How long past its maximum duration a job may run before the edge steps in, and again
 * before it gives up on it. The relay stops the job itself at its maximum duration; the
 * edge's guard is for a relay that does not (an old version, a hung process).
 */
export const OVERRUN_GRACE_MS = 5 * 60_000;
/** How soon a relay whose jobs wait on something outside it (the global limit) looks again. */
export const RECHECK_MS = 60_000;

export type LeaseState = 'offered' | 'leased' | 'stopping';

export interface Lease {
  jobId: number;
  attempt: number;
  state: LeaseState;
  deadline: number;
  /** The policy's maximum duration, from the spec offered. */
  maxSeconds: number | null;
  hardDeadline: number | null;
}

export const LEASES_TABLE = `CREATE TABLE IF NOT EXISTS leases (job_id INTEGER PRIMARY KEY, attempt INTEGER NOT NULL, state TEXT NOT NULL, deadline INTEGER NOT NULL)`;

/**
 * Changes to the object's tables after their first version, applied once each, in order
 * (`meta.schema` counts those applied). The tables are created with CREATE TABLE IF NOT
 * EXISTS, which never changes a table that exists: an object created by an older version
 * gets new columns only from here, and a new object goes through the same steps.
 */
const MIGRATIONS = ['ALTER TABLE leases ADD COLUMN max_seconds INTEGER', 'ALTER TABLE leases ADD COLUMN hard_deadline INTEGER'];

type Row = { job_id: number; attempt: number; state: LeaseState; deadline: number; max_seconds: number | null; hard_deadline: number | null };
const toLease = (r: Row): Lease => ({ jobId: r.job_id, attempt: r.attempt, state: r.state, deadline: r.deadline, maxSeconds: r.max_seconds, hardDeadline: r.hard_deadline });
const COLUMNS = 'job_id, attempt, state, deadline, max_seconds, hard_deadline';

/** When a job that started at `started` is past its maximum duration and the grace. */
export const overrunAt = (started: number, maxSeconds: number | null) => (maxSeconds ? started + maxSeconds * 1000 + OVERRUN_GRACE_MS : null);

export class Leases {
  constructor(private readonly sql: SqlStorage) {}

  /** Brings the tables of this object up to date (after the CREATE TABLE IF NOT EXISTS). */
  migrate(): void {
    const done = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'schema'").toArray()[0]?.value ?? 0;
    for (const statement of MIGRATIONS.slice(done)) this.sql.exec(statement);
    if (done < MIGRATIONS.length) this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", MIGRATIONS.length);
  }

  get(jobId: number, attempt?: number): Lease | undefined {
    const row = this.sql.exec<Row>(`SELECT ${COLUMNS} FROM leases WHERE job_id = ?`, jobId).toArray()[0];
    return row && (attempt === undefined || row.attempt === attempt) ? toLease(row) : undefined;
  }

  all(): Lease[] {
    return this.sql.exec<Row>(`SELECT ${COLUMNS} FROM leases`).toArray().map(toLease);
  }

  offer(jobId: number, attempt: number, maxSeconds: number | null, now: number): void {
    this.sql.exec("INSERT OR REPLACE INTO leases (job_id, attempt, state, deadline, max_seconds, hard_deadline) VALUES (?, ?, 'offered', ?, ?, NULL)", jobId, attempt, now + OFFER_MS, maxSeconds);
  }

  /** offered → leased: returns the lease's end; the max-duration guard starts counting now. */
  accept(jobId: number, now: number): number {
    const lease = this.get(jobId);
    this.sql.exec("UPDATE leases SET state = 'leased', deadline = ?, hard_deadline = ? WHERE job_id = ?", now + LEASE_MS, overrunAt(now, lease?.maxSeconds ?? null), jobId);
    return now + LEASE_MS;
  }

  /**
   * A job D1 says is running but this object holds no lease for (its row was lost): it is
   * leased again from now, so a relay still running it keeps it by its heartbeats and one
   * that does not lets it expire into `lost`, the usual way.
   */
  adopt(jobId: number, attempt: number, maxSeconds: number | null, started: number, now: number): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO leases (job_id, attempt, state, deadline, max_seconds, hard_deadline) VALUES (?, ?, 'leased', ?, ?, ?)",
      jobId,
      attempt,
      now + LEASE_MS,
      maxSeconds,
      overrunAt(started, maxSeconds),
    );
  }

  extend(jobId: number, attempt: number, now: number): void {
    this.sql.exec("UPDATE leases SET deadline = ? WHERE job_id = ? AND attempt = ? AND state != 'offered'", now + LEASE_MS, jobId, attempt);
  }

  /** leased → stopping: the relay has been asked to stop the job; it has one more grace. */
  stopping(jobId: number, now: number): void {
    this.sql.exec("UPDATE leases SET state = 'stopping', hard_deadline = ? WHERE job_id = ?", now + OVERRUN_GRACE_MS, jobId);
  }

  remove(jobId: number): void {
    this.sql.exec('DELETE FROM leases WHERE job_id = ?', jobId);
  }

  /** Offers and leases whose deadline has passed. */
  expired(now: number): Lease[] {
    return this.sql.exec<Row>(`SELECT ${COLUMNS} FROM leases WHERE deadline <= ?`, now).toArray().map(toLease);
  }

  /** Running jobs past their hard deadline (leased: to stop; stopping: to fail). */
  overrun(now: number): Lease[] {
    return this.sql.exec<Row>(`SELECT ${COLUMNS} FROM leases WHERE hard_deadline <= ? AND state != 'offered'`, now).toArray().map(toLease);
  }

  /** Looks at the queue again at `at` (or never, with null), even if nothing happens. */
  setRecheck(at: number | null): void {
    if (at === null) this.sql.exec("DELETE FROM meta WHERE key = 'recheck'");
    else this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('recheck', ?)", at);
  }

  /** The earliest time anything here is due, or null. */
  nextWakeup(): number | null {
    const lease = this.sql.exec<{ d: number | null }>('SELECT min(min(deadline, coalesce(hard_deadline, deadline))) AS d FROM leases').one().d;
    const recheck = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'recheck'").toArray()[0]?.value ?? null;
    if (lease === null) return recheck;
    return recheck === null ? lease : Math.min(lease, recheck);
  }
}
