/**
 * TaskManager Durable Object: one per relay (site), the single writer of that site's
 * live state. It holds the relay's WebSocket (hibernation API, epoch-fenced), stores
 * job output in its own SQLite (never D1: output is the hot path and D1 row limits do
 * not fit it) and serves it back by line range. The queue, offers and leases of the
 * relay protocol build on this (docs/relay-protocol.md).
 */
import { DurableObject } from 'cloudflare:workers';
import type { OutputLine, OutputStream } from '../../shared/output';
import { PING_TEXT, PONG_TEXT, PROTOCOL_VERSION, parseRelayMessage, type EdgeMessage, type RelayMessage } from '../../shared/protocol';
import { pokeRelay } from './poke';
import { applyReport } from './report';
import { dispatchRound, enforceMaxDuration, overrunText, type DispatchHost } from './dispatch';
import { backToPending, endJob, finishJob, markRunning } from './jobs-d1';
import { LEASES_TABLE, Leases } from './leases';
import { JobSubscribers, type SubscriberAttachment } from './subscribers';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS job_lines (
     job_id INTEGER NOT NULL,
     line_no INTEGER NOT NULL,
     time INTEGER NOT NULL,
     stream TEXT NOT NULL,
     text TEXT NOT NULL,
     PRIMARY KEY (job_id, line_no)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
  // Highest log seq stored for each (job, attempt): frames are stored strictly in order.
  `CREATE TABLE IF NOT EXISTS job_acks (job_id INTEGER NOT NULL, attempt INTEGER NOT NULL, acked INTEGER NOT NULL, PRIMARY KEY (job_id, attempt)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // Jobs handed to the relay and their timers (leases.ts, which also adds columns to it).
  LEASES_TABLE,
];

export { LEASE_MS, OFFER_MS } from './leases';

/** Close codes (4000-4999 are the application's). */
export const CLOSE_SUPERSEDED = 4000;

interface RelayAttachment {
  role: 'relay';
  relayId: number;
  epoch: number;
}

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
  /** Browsers watching jobs live (subscribers.ts). */
  private readonly subscribers: JobSubscribers;
  /** Offers, leases and the object's other timers (leases.ts). */
  private readonly leases: Leases;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.subscribers = new JobSubscribers(ctx, env.DB);
    this.leases = new Leases(this.sql);
    ctx.blockConcurrencyWhile(async () => {
      for (const statement of SCHEMA) this.sql.exec(statement);
      this.leases.migrate();
    });
    // The relay's liveness pings are answered by workerd itself: an idle relay never wakes the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
  }

  /** From the Worker, already authenticated: `/connect` (the relay's WebSocket) or `/events` (a browser's). */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/events' && request.headers.get('Upgrade')?.toLowerCase() === 'websocket') return this.subscribers.accept(url);
    const relayId = Number(request.headers.get('X-Relay-Id'));
    if (url.pathname !== '/connect' || request.headers.get('Upgrade')?.toLowerCase() !== 'websocket' || !Number.isInteger(relayId)) {
      return new Response('Not found', { status: 404 });
    }
    const origin = request.headers.get('X-Public-Origin');
    if (origin) this.sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES ('origin', ?)", origin);
    this.sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES ('relay_id', ?)", String(relayId));
    const epoch = this.bumpEpoch();
    // A new connection of the same relay supersedes the old one; messages still
    // arriving on the old socket are dropped by the epoch check.
    for (const old of this.ctx.getWebSockets('relay')) {
      try {
        old.close(CLOSE_SUPERSEDED, 'superseded by a newer connection');
      } catch {
        /* already closing */
      }
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, ['relay']);
    server.serializeAttachment({ role: 'relay', relayId, epoch } satisfies RelayAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const att = ws.deserializeAttachment() as RelayAttachment | SubscriberAttachment | null;
    if (att?.role === 'subscriber') return this.subscribers.onMessage(ws, att, data);
    if (!att || att.role !== 'relay' || att.epoch !== this.currentEpoch()) return; // superseded socket
    const parsed = parseRelayMessage(data);
    if (!parsed.ok) {
      console.warn(JSON.stringify({ level: 'warn', msg: 'invalid relay message', relay: att.relayId, error: parsed.error }));
      return this.send(ws, { type: 'error', code: 'invalid_message', message: parsed.error, about: parsed.about });
    }
    await this.onRelayMessage(ws, att, parsed.message);
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    const att = ws.deserializeAttachment() as RelayAttachment | null;
    if (att?.role === 'relay' && att.epoch === this.currentEpoch()) {
      await this.env.DB.prepare('UPDATE relays SET connected = 0, last_seen = ? WHERE id = ?').bind(Date.now(), att.relayId).run();
      // Its pending jobs now say why they wait.
      await this.dispatch();
    }
  }

  private async onRelayMessage(ws: WebSocket, att: RelayAttachment, msg: RelayMessage): Promise<void> {
    switch (msg.type) {
      case 'hello':
        await this.env.DB.prepare('UPDATE relays SET connected = 1, last_seen = ?, version = ? WHERE id = ?').bind(Date.now(), msg.version, att.relayId).run();
        this.send(ws, { type: 'welcome', v: PROTOCOL_VERSION, epoch: att.epoch });
        return this.dispatch(await this.reconcile(ws, msg.jobs));
      case 'log': {
        this.extendLease(msg.jobId, msg.attempt);
        const acked = this.storeFrame(msg.jobId, msg.attempt, msg.seq, msg.lines);
        return this.send(ws, { type: 'ack', jobId: msg.jobId, attempt: msg.attempt, seq: acked });
      }
      case 'ping':
        // Normally answered by the auto-response before it gets here (e.g. not with extra spaces).
        return this.send(ws, { type: 'pong' });
      case 'heartbeat':
        for (const j of msg.jobs) this.extendLease(j.jobId, j.attempt);
        await this.env.DB.prepare('UPDATE relays SET last_seen = ? WHERE id = ?').bind(Date.now(), att.relayId).run();
        return;
      case 'accept': {
        const lease = this.leases.get(msg.jobId, msg.attempt);
        if (lease?.state !== 'offered') return this.send(ws, { type: 'error', code: 'unknown_job', message: `Job ${msg.jobId} attempt ${msg.attempt} is not on offer.`, about: 'accept' });
        const leaseUntil = this.leases.accept(msg.jobId, Date.now());
        // D1 I/O lets other events in: the offer may have timed out (job back to pending) meanwhile.
        const running = await markRunning(this.env.DB, msg.jobId);
        if (!running) {
          this.leases.remove(msg.jobId);
          return this.send(ws, { type: 'error', code: 'unknown_job', message: `Job ${msg.jobId} attempt ${msg.attempt} is no longer on offer.`, about: 'accept' });
        }
        this.send(ws, { type: 'lease', jobId: msg.jobId, attempt: msg.attempt, leaseUntil });
        // A cancel requested while the offer was out (or the relay was away) is not lost.
        if (running.cancelRequested) this.send(ws, { type: 'cancel', jobId: msg.jobId, attempt: msg.attempt });
        await this.armAlarm();
        return this.subscribers.publishStatuses();
      }
      case 'reject': {
        if (!this.leases.get(msg.jobId, msg.attempt)) return;
        await endJob(this.env.DB, msg.jobId, 'failed', `The relay refused the job: ${msg.reason}`);
        this.leases.remove(msg.jobId);
        return this.dispatch(1);
      }
      case 'finish': {
        const acked = this.sql.exec<{ acked: number }>('SELECT acked FROM job_acks WHERE job_id = ? AND attempt = ?', msg.jobId, msg.attempt).toArray()[0]?.acked ?? 0;
        // Only once every line is stored: the relay resends the missing frames, then finish again.
        if (msg.lastSeq > acked) return this.send(ws, { type: 'ack', jobId: msg.jobId, attempt: msg.attempt, seq: acked });
        const lease = this.leases.get(msg.jobId, msg.attempt);
        if (lease) {
          // Canceled because the edge's max-duration guard asked for it: say so, as a failure.
          const overran = lease.state === 'stopping' && msg.status === 'canceled';
          await finishJob(this.env.DB, overran ? { ...msg, status: 'failed', explanation: overrunText.stopped(lease.maxSeconds ?? 0) } : msg);
          this.leases.remove(msg.jobId);
        }
        // Acknowledged even when already recorded: the relay may resend finish after a reconnect.
        this.send(ws, { type: 'finish_ack', jobId: msg.jobId, attempt: msg.attempt });
        return this.dispatch(lease ? 1 : 0);
      }
      case 'report': {
        const outcome = await applyReport(this.env.DB, att.relayId, msg);
        return this.send(ws, { type: 'report_ack', jobId: msg.jobId, attempt: msg.attempt, ok: outcome.ok, reason: outcome.ok ? null : outcome.reason });
      }
    }
  }

  /** Called by the Worker when jobs of this relay may have become startable. */
  async poke(): Promise<void> {
    await this.dispatch();
  }

  /** Asks the relay to stop a running job (the Worker has marked cancel_requested). */
  async cancelJob(jobId: number): Promise<boolean> {
    const lease = this.leases.get(jobId);
    const ws = this.relaySocket();
    if (!lease || !ws) return false;
    this.send(ws, { type: 'cancel', jobId, attempt: lease.attempt });
    return true;
  }

  /** Tells the browsers watching jobs of this relay about status changes made by the Worker. */
  async jobsChanged(): Promise<void> {
    await this.subscribers.publishStatuses();
  }

  /**
   * A dispatch round (dispatch.ts): offers what may start, tells the rest why they wait.
   * Every path that changes job statuses ends here (or in accept), so watchers are told
   * here. `freed`: how many active jobs of this relay just ended.
   */
  private async dispatch(freed = 0): Promise<void> {
    try {
      await dispatchRound(this.host, freed);
    } finally {
      await this.armAlarm();
      await this.subscribers.publishStatuses();
    }
  }

  /** What a dispatch round may use of this object. */
  private get host(): DispatchHost {
    return {
      env: this.env,
      leases: this.leases,
      relayId: () => this.relayId(),
      socket: () => this.relaySocket(),
      send: (ws, msg) => this.send(ws, msg),
      systemLine: (jobId, text) => {
        this.appendLinesSync(jobId, [{ stream: 'system', text, time: Date.now() }]);
        this.subscribers.linesStored(jobId);
      },
      origin: () => this.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'origin'").toArray()[0]?.value ?? 'http://localhost:8787',
      poke: (relayId) => this.ctx.waitUntil(pokeRelay(this.env, relayId)),
    };
  }

  /** This object's relay: remembered from its first connection, else its name (`relay:<id>`). */
  private relayId(): number | null {
    const stored = this.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'relay_id'").toArray()[0]?.value;
    const id = Number(stored ?? /^relay:(\d+)$/.exec(this.ctx.id.name ?? '')?.[1]);
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  }

  /**
   * After a (re)connect: jobs the relay still runs keep their lease; leased jobs it does
   * not report were lost with its restart, and are never re-run silently. Returns how many
   * active jobs it ended or sent back to the queue.
   */
  private async reconcile(ws: WebSocket, jobs: { jobId: number; attempt: number; state: string }[]): Promise<number> {
    const running = new Set(jobs.filter((j) => j.state === 'running').map((j) => `${j.jobId}:${j.attempt}`));
    let freed = 0;
    for (const l of this.leases.all()) {
      if (running.has(`${l.jobId}:${l.attempt}`)) {
        this.extendLease(l.jobId, l.attempt);
        continue;
      }
      if (l.state === 'offered') {
        await backToPending(this.env.DB, l.jobId);
      } else if (!jobs.some((j) => j.jobId === l.jobId && j.attempt === l.attempt && j.state === 'ended')) {
        // An 'ended' job will send its finish; anything else is gone.
        await endJob(this.env.DB, l.jobId, 'lost', 'The relay reconnected without this job: it was lost (for example the relay restarted). It was not run again.');
      } else continue;
      this.leases.remove(l.jobId);
      freed++;
    }
    void ws;
    return freed;
  }

  /**
   * The timers: an unanswered offer goes back to the queue (the relay runs a job only once
   * leased, so it never started); a lease that ran out makes the job lost; the max-duration
   * guard; then a dispatch round (which also does the queue's rechecks). D1 is written
   * before the row goes, so a failed write leaves the row for the retried alarm.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let freed = 0;
    for (const l of this.leases.expired(now)) {
      if (l.state === 'offered') await backToPending(this.env.DB, l.jobId);
      else await endJob(this.env.DB, l.jobId, 'lost', `The relay stopped reporting on this job (lease expired at ${new Date(l.deadline).toISOString()}). It was not run again.`);
      this.leases.remove(l.jobId);
      freed++;
    }
    freed += await enforceMaxDuration(this.host, now);
    await this.dispatch(freed);
  }

  private extendLease(jobId: number, attempt: number): void {
    this.leases.extend(jobId, attempt, Date.now());
  }

  private async armAlarm(): Promise<void> {
    const next = this.leases.nextWakeup();
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private relaySocket(): WebSocket | null {
    const epoch = this.currentEpoch();
    return this.ctx.getWebSockets('relay').find((w) => (w.deserializeAttachment() as RelayAttachment | null)?.epoch === epoch && w.readyState === WebSocket.OPEN) ?? null;
  }

  /**
   * Stores a log frame only if it is the next one (seq = acked + 1) and answers the
   * cumulative ack. A duplicate (resent after a reconnect) or a frame past a gap is
   * not stored: the relay resends from acked + 1, so lines are never lost, doubled or
   * reordered.
   */
  private storeFrame(jobId: number, attempt: number, seq: number, lines: { stream: OutputStream; text: string; time: number }[]): number {
    const row = this.sql.exec<{ acked: number }>('SELECT acked FROM job_acks WHERE job_id = ? AND attempt = ?', jobId, attempt).toArray()[0];
    const acked = row?.acked ?? 0;
    if (seq !== acked + 1) return acked;
    this.ctx.storage.transactionSync(() => {
      this.appendLinesSync(jobId, lines);
      this.sql.exec('INSERT OR REPLACE INTO job_acks (job_id, attempt, acked) VALUES (?, ?, ?)', jobId, attempt, seq);
    });
    this.subscribers.linesStored(jobId);
    return seq;
  }

  private send(ws: WebSocket, msg: EdgeMessage): void {
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      /* the socket closed meanwhile; the relay resends after reconnecting */
    }
  }

  private currentEpoch(): number {
    return this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'epoch'").toArray()[0]?.value ?? 0;
  }

  private bumpEpoch(): number {
    const next = this.currentEpoch() + 1;
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('epoch', ?)", next);
    return next;
  }

  /** Appends lines to a job's output, numbering them after the last stored line. */
  async appendLines(jobId: number, lines: { stream: OutputStream; text: string; time: number }[]): Promise<number> {
    return this.appendLinesSync(jobId, lines);
  }

  private appendLinesSync(jobId: number, lines: { stream: OutputStream; text: string; time: number }[]): number {
    const last = this.sql.exec<{ n: number | null }>('SELECT max(line_no) AS n FROM job_lines WHERE job_id = ?', jobId).one().n ?? 0;
    // One statement per frame (json_each over the lines), not one per line: a statement
    // costs far more than a row, and a frame holds up to 1000 lines.
    this.sql.exec(
      `INSERT INTO job_lines (job_id, line_no, time, stream, text)
       SELECT ?1, ?2 + key + 1, value ->> '$.time', value ->> '$.stream', value ->> '$.text' FROM json_each(?3)`,
      jobId,
      last,
      JSON.stringify(lines.map((l) => ({ time: l.time, stream: l.stream, text: l.text }))),
    );
    return last + lines.length;
  }

  /**
   * Housekeeping (worker/housekeeping): deletes the stored output of ended jobs, their lines
   * and log acks, and returns how many lines were deleted. A job that still holds a lease
   * here is running and is skipped, whatever the caller believed. Idempotent: ids with no
   * output cost nothing.
   */
  async deleteJobOutput(jobIds: number[]): Promise<number> {
    const ids = JSON.stringify(jobIds.filter((id) => Number.isSafeInteger(id)));
    let lines = 0;
    this.ctx.storage.transactionSync(() => {
      const keep = 'job_id NOT IN (SELECT job_id FROM leases)';
      lines = this.sql.exec(`DELETE FROM job_lines WHERE job_id IN (SELECT value FROM json_each(?)) AND ${keep}`, ids).rowsWritten;
      this.sql.exec(`DELETE FROM job_acks WHERE job_id IN (SELECT value FROM json_each(?)) AND ${keep}`, ids);
    });
    this.subscribers.forgetJobs(jobIds);
    return lines;
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
