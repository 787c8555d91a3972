/**
 * The relay's spool: log frames of each job kept on disk until the edge acknowledges
 * them, and each job's fate, so that after a lost socket or a relay restart nothing is
 * lost and the relay can tell the edge the truth in `hello`.
 *
 * One directory per job attempt: `frames.jsonl` (one frame a line, appended), `state.json`
 * (acked seq, last seq, ended?, the finish message). Acknowledged frames are dropped by
 * rewriting the file when they are more than half of it. The spool is bounded: when it
 * is full, `append` reports it, and the caller stops reading the job's output
 * (backpressure) until acks free space.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RelayMessage } from '../../shared/protocol';

export type LogFrame = Extract<RelayMessage, { type: 'log' }>;
export type FinishFrame = Extract<RelayMessage, { type: 'finish' }>;

export interface JobState {
  jobId: number;
  attempt: number;
  acked: number;
  lastSeq: number;
  /** Set once the job's process has ended: the finish to (re)send until finish_ack. */
  finish: FinishFrame | null;
}

export class Spool {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private jobDir(jobId: number, attempt: number) {
    return path.join(this.dir, `${jobId}-${attempt}`);
  }

  open(jobId: number, attempt: number): JobState {
    const dir = this.jobDir(jobId, attempt);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const existing = this.readState(dir);
    if (existing) return existing;
    const state: JobState = { jobId, attempt, acked: 0, lastSeq: 0, finish: null };
    this.writeState(state);
    return state;
  }

  /** Bytes on disk across all jobs. */
  usedBytes(): number {
    let total = 0;
    for (const name of readdirSync(this.dir)) {
      const f = path.join(this.dir, name, 'frames.jsonl');
      if (existsSync(f)) total += statSync(f).size;
    }
    return total;
  }

  /** Appends the next frame of a job; returns false (nothing written) when the spool is full. */
  append(frame: Omit<LogFrame, 'seq' | 'type'>): LogFrame | null {
    const state = this.open(frame.jobId, frame.attempt);
    const full: LogFrame = { type: 'log', jobId: frame.jobId, attempt: frame.attempt, seq: state.lastSeq + 1, lines: frame.lines };
    const line = JSON.stringify(full) + '\n';
    if (this.usedBytes() + Buffer.byteLength(line) > this.maxBytes) return null;
    appendFileSync(path.join(this.jobDir(frame.jobId, frame.attempt), 'frames.jsonl'), line, { mode: 0o600 });
    state.lastSeq = full.seq;
    this.writeState(state);
    return full;
  }

  /** Frames not yet acknowledged, in order (what to resend after a reconnect). */
  unacked(jobId: number, attempt: number): LogFrame[] {
    const state = this.open(jobId, attempt);
    const file = path.join(this.jobDir(jobId, attempt), 'frames.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogFrame)
      .filter((f) => f.seq > state.acked);
  }

  /** Records a cumulative ack; drops acknowledged frames from disk when worthwhile. */
  ack(jobId: number, attempt: number, seq: number): void {
    const state = this.open(jobId, attempt);
    if (seq <= state.acked) return;
    state.acked = Math.min(seq, state.lastSeq);
    this.writeState(state);
    const file = path.join(this.jobDir(jobId, attempt), 'frames.jsonl');
    if (state.acked * 2 >= state.lastSeq && existsSync(file)) {
      const keep = this.unacked(jobId, attempt);
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, keep.map((f) => JSON.stringify(f) + '\n').join(''), { mode: 0o600 });
      renameSync(tmp, file);
    }
  }

  /** The job ended: remember its finish message until the edge acknowledges it. */
  ended(finish: FinishFrame): void {
    const state = this.open(finish.jobId, finish.attempt);
    state.finish = finish;
    this.writeState(state);
  }

  /** finish_ack: the edge has everything; forget the job. */
  forget(jobId: number, attempt: number): void {
    rmSync(this.jobDir(jobId, attempt), { recursive: true, force: true });
  }

  /** Every job in the spool, for `hello` after a restart. */
  jobs(): JobState[] {
    return readdirSync(this.dir)
      .map((name) => this.readState(path.join(this.dir, name)))
      .filter((s): s is JobState => s !== null)
      .sort((a, b) => a.jobId - b.jobId || a.attempt - b.attempt);
  }

  private readState(dir: string): JobState | null {
    const file = path.join(dir, 'state.json');
    if (!existsSync(file)) return null;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as JobState;
    } catch {
      return null; // a torn write: the frames file still holds the truth about lines
    }
  }

  private writeState(state: JobState): void {
    const file = path.join(this.jobDir(state.jobId, state.attempt), 'state.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}
