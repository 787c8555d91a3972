/**
 * The relay's side of the protocol (docs/relay-protocol.md): one outbound WebSocket,
 * re-dialled with backoff and full jitter; jobs run only after the edge grants a lease;
 * every output line goes through the spool (so nothing is lost across reconnects or a
 * restart) and is sent as numbered frames; a job's `finish` is resent until acknowledged.
 *
 * What a job *does* is behind `JobRunner` (borg over SSH in production), so this loop
 * is the same for every job kind.
 */
import WebSocket from 'ws';
import type { JobSpec } from '../../shared/jobspec';
import { MAX_LINES_PER_FRAME, MAX_LINE_CHARS, parseEdgeMessage, PING_TEXT, PROTOCOL_VERSION, type ReadyReport, type RelayMessage } from '../../shared/protocol';
import { backoffDelay } from './backoff';
import type { FinishFrame, Spool } from './spool';

/**
 * Lines wait at most this long before they are sent (a frame also goes as soon as it holds
 * MAX_LINES_PER_FRAME lines): the latency floor of a slow trickle of output.
 */
export const FLUSH_MS = 50;
/**
 * Frames sent and not yet acknowledged, per job, before its output is paused. The edge is the
 * bottleneck (it stores each frame before acking), so a window only has to cover the round
 * trip; a bigger one just queues lines in front of the edge and adds latency under a burst.
 */
export const WINDOW_FRAMES = 16;

export interface OutputSink {
  line(stream: 'stdout' | 'stderr' | 'system', text: string): void;
  /** True while the window of unacknowledged frames is full: the runner should stop reading. */
  blocked(): boolean;
  /** Resolves when the spool has room again (backpressure for the runner). */
  drained(): Promise<void>;
  /** Marks the prepared object ready at the edge; resolves with the edge's answer (or no answer in time). */
  report(report: ReadyReport): Promise<ReportOutcome>;
}

export type ReportOutcome = { ok: true } | { ok: false; reason: string; answered: boolean };

export interface JobOutcome {
  status: FinishFrame['status'];
  exitCode: number | null;
  explanation: string | null;
  result: Record<string, unknown> | null;
}

export interface JobRunner {
  /** A reason to refuse a spec before accepting it (e.g. piped commands not allowed), or null. */
  refuse(spec: JobSpec): string | null;
  run(spec: JobSpec, out: OutputSink, signal: AbortSignal): Promise<JobOutcome>;
}

export interface SessionOptions {
  url: string;
  credential: string;
  version: string;
  spool: Spool;
  runner: JobRunner;
  /** Heartbeat (extends the leases of running jobs) while jobs run; default 15 s. */
  heartbeatMs?: number;
  /** With no job running, a heartbeat only this often (it updates the relay's last_seen); default 5 min. */
  idleHeartbeatMs?: number;
  /**
   * Go-back-N retransmission: when a job has frames or a finish the edge has not acknowledged
   * and its acknowledgements have not moved for this long, everything from ack + 1 is sent
   * again (also what a reordered or dropped message left behind). Default 3 s.
   */
  retransmitMs?: number;
  /** Liveness ping (answered by the edge without waking it); default 10 s. */
  pingMs?: number;
  /** Nothing heard from the edge for this long: the socket is dead (half-open); redial. Default 3 pings. */
  silenceMs?: number;
  /** How long a report waits for the edge's answer (default 15 s). */
  reportTimeoutMs?: number;
  /** Frames sent but not acknowledged, per job, before the job's output is paused. */
  windowFrames?: number;
  flushMs?: number;
  log?: (event: Record<string, unknown>) => void;
}

interface Running {
  spec: JobSpec;
  abort: AbortController;
  pending: { stream: 'stdout' | 'stderr' | 'system'; text: string; time: number }[];
  inFlight: number;
  waiters: (() => void)[];
}

export class RelaySession {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private readonly running = new Map<number, Running>();
  private readonly offered = new Map<number, JobSpec>();
  private readonly reports = new Map<string, (outcome: ReportOutcome) => void>();
  private readonly canceledBeforeStart = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private lastHeard = 0;
  /** Per `job:attempt`: the acked seq last seen by retransmit(), to tell a stalled job. */
  private readonly progress = new Map<string, number>();
  private lastHeartbeat = 0;

  constructor(private readonly o: SessionOptions) {}

  private log(event: Record<string, unknown>) {
    (this.o.log ?? ((e) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n')))(event);
  }

  start(): void {
    this.dial();
    this.timers.push(setInterval(() => this.heartbeat(), this.o.heartbeatMs ?? 15_000));
    this.timers.push(setInterval(() => this.ping(), this.o.pingMs ?? 10_000));
    this.timers.push(setInterval(() => this.flushAll(), this.o.flushMs ?? FLUSH_MS));
    this.timers.push(setInterval(() => this.retransmit(), this.o.retransmitMs ?? 3000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    const ws = this.ws;
    if (!ws) return;
    // Close politely, but do not wait up to 30 s for the peer's close frame.
    ws.close(1000, 'relay stopping');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private dial(): void {
    if (this.stopped) return;
    const url = new URL('/relay/connect', this.o.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${this.o.credential}` }, handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.log({ level: 'info', msg: 'connected', url: url.origin });
      this.send({
        type: 'hello',
        v: PROTOCOL_VERSION,
        version: this.o.version,
        jobs: this.o.spool.jobs().map((j) => ({
          jobId: j.jobId,
          attempt: j.attempt,
          state: j.finish ? 'ended' : this.running.has(j.jobId) ? 'running' : 'unknown',
          lastSeq: j.lastSeq,
        })),
      });
    });
    ws.on('message', (data) => {
      if (this.ws === ws) this.lastHeard = Date.now();
      void this.onMessage(String(data));
    });
    ws.on('unexpected-response', (_req, res) => this.log({ level: 'error', msg: 'connection refused by the orchestrator', status: res.statusCode }));
    ws.on('error', (e) => this.log({ level: 'warn', msg: 'socket error', error: e.message }));
    ws.on('close', (code) => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, { baseMs: 500, capMs: 30_000 });
      this.log({ level: 'warn', msg: 'disconnected', code, retryInMs: delay });
      setTimeout(() => this.dial(), delay);
    });
  }

  private send(msg: RelayMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private async onMessage(data: string): Promise<void> {
    const parsed = parseEdgeMessage(data);
    if (!parsed.ok) return this.log({ level: 'warn', msg: 'invalid message from the orchestrator', error: parsed.error });
    const msg = parsed.message;
    switch (msg.type) {
      case 'pong':
        return;
      case 'welcome':
        // Resend what the edge has not acknowledged, and the finishes it has not confirmed.
        // A job of an earlier relay process (neither running nor finished: the relay died
        // mid-job) was reported `unknown` in hello, so the edge has marked it lost; its
        // stored lines still go up, and it is forgotten once they are acknowledged.
        for (const j of this.o.spool.jobs()) {
          for (const frame of this.o.spool.unacked(j.jobId, j.attempt)) this.send(frame);
          if (j.finish) this.send(j.finish);
          else if (!this.running.has(j.jobId)) this.forgetOrphanIfAcked(j.jobId, j.attempt);
        }
        return;
      case 'offer': {
        const reason = this.o.runner.refuse(msg.spec);
        if (reason) {
          this.send({ type: 'reject', jobId: msg.spec.jobId, attempt: msg.spec.attempt, reason });
          return;
        }
        this.offered.set(msg.spec.jobId, msg.spec);
        this.send({ type: 'accept', jobId: msg.spec.jobId, attempt: msg.spec.attempt });
        return;
      }
      case 'lease': {
        const spec = this.offered.get(msg.jobId);
        if (!spec || spec.attempt !== msg.attempt || this.running.has(msg.jobId)) return;
        this.offered.delete(msg.jobId);
        void this.runJob(spec);
        return;
      }
      case 'ack': {
        this.o.spool.ack(msg.jobId, msg.attempt, msg.seq);
        const r = this.running.get(msg.jobId);
        if (!r) this.forgetOrphanIfAcked(msg.jobId, msg.attempt);
        if (r) {
          r.inFlight = Math.max(0, this.o.spool.unacked(msg.jobId, msg.attempt).length);
          r.waiters.splice(0).forEach((w) => w());
        }
        return;
      }
      case 'report_ack':
        this.reports.get(`${msg.jobId}:${msg.attempt}`)?.(msg.ok ? { ok: true } : { ok: false, reason: msg.reason ?? 'refused', answered: true });
        return;
      case 'finish_ack':
        this.o.spool.forget(msg.jobId, msg.attempt);
        return;
      case 'cancel': {
        const r = this.running.get(msg.jobId);
        if (r) r.abort.abort();
        // Canceled between offer and lease: when the lease comes, the job ends at once, unrun.
        else if (this.offered.get(msg.jobId)?.attempt === msg.attempt) this.canceledBeforeStart.add(`${msg.jobId}:${msg.attempt}`);
        return;
      }
      case 'error':
        this.log({ level: 'warn', msg: 'orchestrator error', code: msg.code, message: msg.message, about: msg.about });
        return;
    }
  }

  private async runJob(spec: JobSpec): Promise<void> {
    this.o.spool.open(spec.jobId, spec.attempt);
    const r: Running = { spec, abort: new AbortController(), pending: [], inFlight: 0, waiters: [] };
    this.running.set(spec.jobId, r);
    const window = this.o.windowFrames ?? WINDOW_FRAMES;
    const sink: OutputSink = {
      line: (stream, text) => {
        r.pending.push({ stream, text: text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) : text, time: Date.now() });
        if (r.pending.length >= MAX_LINES_PER_FRAME) this.flush(r);
      },
      blocked: () => r.inFlight >= window && !r.abort.signal.aborted,
      // The runner awaits this between reads: output stops while the window is full.
      drained: async () => {
        while (r.inFlight >= window && !r.abort.signal.aborted) await new Promise<void>((w) => r.waiters.push(w));
      },
      report: (report) => this.report(spec, report),
    };
    this.log({ level: 'info', msg: 'job started', job: spec.jobId, attempt: spec.attempt, kind: spec.kind });
    let outcome: JobOutcome;
    try {
      if (this.canceledBeforeStart.delete(`${spec.jobId}:${spec.attempt}`)) r.abort.abort();
      outcome = r.abort.signal.aborted
        ? { status: 'canceled', exitCode: null, explanation: 'Canceled before it started; nothing ran.', result: null }
        : await this.o.runner.run(spec, sink, r.abort.signal);
    } catch (e) {
      outcome = { status: 'error', exitCode: null, explanation: `The relay failed to run the job: ${(e as Error).message}`, result: null };
    }
    if (r.abort.signal.aborted && outcome.status !== 'successful') outcome = { ...outcome, status: 'canceled', explanation: outcome.explanation ?? 'Canceled.' };
    this.flush(r);
    this.running.delete(spec.jobId);
    const state = this.o.spool.open(spec.jobId, spec.attempt);
    const finish: FinishFrame = { type: 'finish', jobId: spec.jobId, attempt: spec.attempt, lastSeq: state.lastSeq, ...outcome };
    this.o.spool.ended(finish);
    this.send(finish);
    this.log({ level: 'info', msg: 'job ended', job: spec.jobId, status: outcome.status, exitCode: outcome.exitCode });
  }

  /**
   * Sends a report and waits for report_ack. The lines before it are flushed first so the log
   * reads in order. Sent again until answered within the timeout (the edge's update is
   * idempotent); no answer in time is `answered: false` (the job then prints the curl).
   */
  private report(spec: JobSpec, report: ReadyReport): Promise<ReportOutcome> {
    const key = `${spec.jobId}:${spec.attempt}`;
    const r = this.running.get(spec.jobId);
    if (r) this.flush(r);
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const done = (outcome: ReportOutcome) => {
        timers.forEach(clearTimeout);
        this.reports.delete(key);
        resolve(outcome);
      };
      this.reports.set(key, done);
      // Resent until answered: a report sent just before the socket dropped gets no answer.
      const attempt = () => {
        const sent = this.send({ type: 'report', jobId: spec.jobId, attempt: spec.attempt, report });
        timers.push(setTimeout(attempt, sent ? 3000 : 500));
      };
      attempt();
      timers.push(setTimeout(() => done({ ok: false, reason: 'the orchestrator did not answer in time', answered: false }), this.o.reportTimeoutMs ?? 15_000));
    });
  }

  private forgetOrphanIfAcked(jobId: number, attempt: number): void {
    const j = this.o.spool.jobs().find((x) => x.jobId === jobId && x.attempt === attempt);
    if (j && !j.finish && !this.running.has(jobId) && j.acked >= j.lastSeq) this.o.spool.forget(jobId, attempt);
  }

  private flush(r: Running): void {
    while (r.pending.length) {
      const lines = r.pending.splice(0, MAX_LINES_PER_FRAME);
      const frame = this.o.spool.append({ jobId: r.spec.jobId, attempt: r.spec.attempt, lines });
      if (!frame) {
        // Spool full: keep the lines in memory; the runner is paused by drained().
        r.pending.unshift(...lines);
        r.inFlight = Number.MAX_SAFE_INTEGER;
        return;
      }
      r.inFlight++;
      this.send(frame);
    }
  }

  private flushAll(): void {
    for (const r of this.running.values()) this.flush(r);
  }

  /** Pings the edge; a socket that has been silent too long is dropped (the close handler redials). */
  private ping(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const silence = Date.now() - this.lastHeard;
    const limit = this.o.silenceMs ?? 3 * (this.o.pingMs ?? 10_000);
    if (silence > limit) {
      this.log({ level: 'warn', msg: 'no answer from the orchestrator; reconnecting', silentMs: silence });
      ws.terminate();
      return;
    }
    ws.send(PING_TEXT);
  }

  /**
   * Resends what is stuck: the edge stores frames strictly in order (seq = acked + 1), so a
   * frame that arrived after a gap was dropped and only a resend fills it. Runs on a timer;
   * a job whose ack moved since the last run is left alone.
   */
  private retransmit(): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const seen = new Set<string>();
    for (const j of this.o.spool.jobs()) {
      const key = `${j.jobId}:${j.attempt}`;
      seen.add(key);
      const stalled = this.progress.get(key) === j.acked;
      this.progress.set(key, j.acked);
      if (!stalled) continue;
      const frames = j.lastSeq > j.acked ? this.o.spool.unacked(j.jobId, j.attempt) : [];
      if (!frames.length && !j.finish) continue;
      for (const frame of frames) this.send(frame);
      if (j.finish) this.send(j.finish);
      this.log({ level: 'warn', msg: 'resending unacknowledged output', job: j.jobId, attempt: j.attempt, fromSeq: j.acked + 1, frames: frames.length, finish: !!j.finish });
    }
    for (const key of this.progress.keys()) if (!seen.has(key)) this.progress.delete(key);
  }

  private heartbeat(): void {
    if (this.running.size === 0 && Date.now() - this.lastHeartbeat < (this.o.idleHeartbeatMs ?? 300_000)) return;
    this.lastHeartbeat = Date.now();
    this.send({ type: 'heartbeat', jobs: [...this.running.values()].map((r) => ({ jobId: r.spec.jobId, attempt: r.spec.attempt })) });
  }
}
