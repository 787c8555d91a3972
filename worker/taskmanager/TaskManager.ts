/**
 * TaskManager Durable Object: one per relay (site), the single writer of that site's
 * live state. It holds the relay's WebSocket (hibernation API, epoch-fenced), stores
 * job output in its own SQLite (never D1: output is the hot path and D1 row limits do
 * not fit it) and serves it back by line range. The queue, offers and leases of the
 * relay protocol build on this (docs/relay-protocol.md).
 */
import { DurableObject } from 'cloudflare:workers';
import type { OutputLine, OutputStream } from '../../shared/output';
import { PROTOCOL_VERSION, parseRelayMessage, type EdgeMessage, type RelayMessage } from '../../shared/protocol';

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
];

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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      for (const statement of SCHEMA) this.sql.exec(statement);
    });
  }

  /** `/connect` (from the Worker, already authenticated): the relay's WebSocket. */
  override async fetch(request: Request): Promise<Response> {
    const relayId = Number(request.headers.get('X-Relay-Id'));
    if (new URL(request.url).pathname !== '/connect' || request.headers.get('Upgrade')?.toLowerCase() !== 'websocket' || !Number.isInteger(relayId)) {
      return new Response('Not found', { status: 404 });
    }
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
    const att = ws.deserializeAttachment() as RelayAttachment | null;
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
    }
  }

  private async onRelayMessage(ws: WebSocket, att: RelayAttachment, msg: RelayMessage): Promise<void> {
    switch (msg.type) {
      case 'hello':
        await this.env.DB.prepare('UPDATE relays SET connected = 1, last_seen = ?, version = ? WHERE id = ?').bind(Date.now(), msg.version, att.relayId).run();
        return this.send(ws, { type: 'welcome', v: PROTOCOL_VERSION, epoch: att.epoch });
      case 'log': {
        const acked = this.storeFrame(msg.jobId, msg.attempt, msg.seq, msg.lines);
        return this.send(ws, { type: 'ack', jobId: msg.jobId, attempt: msg.attempt, seq: acked });
      }
      case 'heartbeat':
        await this.env.DB.prepare('UPDATE relays SET last_seen = ? WHERE id = ?').bind(Date.now(), att.relayId).run();
        return;
      default:
        // accept / reject / report / finish come with the job queue (next part of the relay issue).
        return this.send(ws, { type: 'error', code: 'not_supported', message: `${msg.type} is not handled by this edge version yet.`, about: msg.type });
    }
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
