/**
 * TaskManager Durable Object: one per relay (site). It is the single writer of that
 * site's live state. This first part stores job output in the object's own SQLite
 * (never D1: output is the hot path and D1 row limits do not fit it) and serves it
 * back by line range; the relay protocol, queue and leases build on it.
 */
import { DurableObject } from 'cloudflare:workers';
import type { OutputLine, OutputStream } from '../../shared/output';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS job_lines (
     job_id INTEGER NOT NULL,
     line_no INTEGER NOT NULL,
     time INTEGER NOT NULL,
     stream TEXT NOT NULL,
     text TEXT NOT NULL,
     PRIMARY KEY (job_id, line_no)
   ) WITHOUT ROWID`,
];

export interface LineRange {
  /** First line, 1-based, inclusive. */
  start: number;
  /** Last line, inclusive; null for "to the end". */
  end: number | null;
  /** Most lines to return. */
  limit: number;
}

export class TaskManager extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      for (const statement of SCHEMA) this.sql.exec(statement);
    });
  }

  /** Appends lines to a job's output, numbering them after the last stored line. */
  async appendLines(jobId: number, lines: { stream: OutputStream; text: string; time: number }[]): Promise<number> {
    const last = this.sql.exec<{ n: number | null }>('SELECT max(line_no) AS n FROM job_lines WHERE job_id = ?', jobId).one().n ?? 0;
    lines.forEach((l, i) => {
      this.sql.exec('INSERT INTO job_lines (job_id, line_no, time, stream, text) VALUES (?, ?, ?, ?, ?)', jobId, last + i + 1, l.time, l.stream, l.text);
    });
    return last + lines.length;
  }

  async readLines(jobId: number, range: LineRange): Promise<{ total: number; lines: OutputLine[] }> {
    const total = this.sql.exec<{ n: number | null }>('SELECT max(line_no) AS n FROM job_lines WHERE job_id = ?', jobId).one().n ?? 0;
    const end = range.end ?? Number.MAX_SAFE_INTEGER;
    const lines = this.sql
      .exec<{ line_no: number; time: number; stream: string; text: string }>(
        'SELECT line_no, time, stream, text FROM job_lines WHERE job_id = ? AND line_no BETWEEN ? AND ? ORDER BY line_no LIMIT ?',
        jobId,
        range.start,
        end,
        range.limit,
      )
      .toArray()
      .map((r) => ({ line: r.line_no, time: new Date(r.time).toISOString(), stream: r.stream as OutputStream, text: r.text }));
    return { total, lines };
  }
}

export function taskManagerFor(env: Env, relayId: number): DurableObjectStub<TaskManager> {
  return env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName(`relay:${relayId}`));
}
