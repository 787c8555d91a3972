/**
 * Browsers watching a job live (`GET /api/v1/jobs/{id}/events`), inside the relay's
 * TaskManager: the object that stores the lines, so a line reaches its watchers without
 * another hop. Sockets are accepted with the hibernation API, tagged `subscriber` and
 * `job:<id>`, and every bit of a watcher's state is in its attachment, so it survives
 * hibernation.
 *
 * Flow control. A server-side WebSocket in workerd has no `bufferedAmount` (workerd
 * issue #988): `send()` always succeeds and queues in memory however slowly the browser
 * reads, so the object cannot see a slow reader by itself. Instead the browser
 * acknowledges what it has read (`{type:'ack', line}`), and:
 *  - at most WINDOW_MESSAGES `lines` messages (each ≤ 1000 lines, ~128 KiB of text) are
 *    ever sent and unacknowledged, so what is queued for one browser stays bounded; the
 *    rest waits in SQLite and is read from there as acks come back (a replay and a
 *    catch-up are the same path);
 *  - a browser that falls MAX_BEHIND_LINES further behind the job than it was when it
 *    connected is closed with CLOSE_TOO_SLOW (4008) and reconnects with
 *    `?after=<last line it received>`. A replay does not count: only lines stored after
 *    it connected and not acknowledged do.
 * On the relay's path this costs, per watcher of the job, a few comparisons and a
 * bounded read and send of the new lines; nothing there awaits a browser.
 *
 * Readiness tokens. A prepare job's output may hold a one-time readiness URL; a watcher
 * who may not prepare (below operator, or a read-only token: worker/jobs/redact-readiness.ts)
 * gets it with the token hidden. Chunks are shared between watchers, so the hiding is done
 * on the copy sent to such a watcher, never on the cached chunk; a chunk records once, when
 * built, whether it holds the readiness path at all, so a chunk without one costs nothing.
 */
import { FINISHED_JOB_STATUSES, JOB_STATUSES, ROLES, TOKEN_SCOPES, type JobStatus, type Role, type TokenScope } from '../../shared/domain';
import { CLOSE_TOO_SLOW, MAX_LINES_PER_MESSAGE, MAX_TEXT_PER_MESSAGE, parseSubscriberMessage, type JobEvent } from '../../shared/job-events';
import type { OutputLine, OutputStream } from '../../shared/output';
import { mayHoldReadinessToken, redactReadinessJson, seesReadinessTokens, type Reader } from '../jobs/redact-readiness';

/** `lines` messages sent and not acknowledged, per watcher; past it the edge waits for an ack. */
export const WINDOW_MESSAGES = 8;
/**
 * How much further behind than on connecting a watcher may fall before it is closed. Well
 * above what the relay may have in flight (its window, 16 frames of ≤ 1000 lines): while the
 * object works through a burst of relay frames, acks from perfectly healthy browsers wait in
 * its queue, and that lag is not slowness.
 */
export const MAX_BEHIND_LINES = 50_000;

const SUBSCRIBER = 'subscriber';
const jobTag = (jobId: number) => `job:${jobId}`;

export interface SubscriberAttachment {
  role: 'subscriber';
  jobId: number;
  /** Last line sent. */
  sent: number;
  /** Last line the browser acknowledged. */
  acked: number;
  /** Last line of each `lines` message sent and not acknowledged (at most WINDOW_MESSAGES). */
  inflight: number[];
  /** Lines stored beyond `after` when it connected: what its replay owes it, not lag. */
  gap: number;
  /** Status last told to it. */
  status: JobStatus;
  /**
   * Who watches (role and scope, from the Worker). Absent on a socket accepted before it
   * existed: such a watcher sees no readiness token.
   */
  reader?: Reader;
}

/** A `lines` message ready to send, shared by the watchers that are at the same line. */
interface Chunk {
  json: string;
  last: number;
  /** The text holds the readiness path: a watcher below operator gets a redacted copy. Set once, when built. */
  readiness: boolean;
}

/**
 * `lines` messages recently built, by (job, line after which they start). Watchers of a job
 * move through the same chunk boundaries (each starts where the previous one ended), so with
 * many watchers a message is read from SQLite and serialized once, not once per watcher.
 * Lines never change once stored, so an entry is never stale (one built at the live tail is
 * shorter, which is still right). Bounded: CHUNK_CACHE entries of ≤ ~128 KiB.
 */
const CHUNK_CACHE = 64;

export class JobSubscribers {
  private readonly sql: SqlStorage;
  private readonly chunkCache = new Map<string, Chunk>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly db: D1Database,
  ) {
    this.sql = ctx.storage.sql;
  }

  /**
   * `/events?job=&after=&status=&role=&scope=` from the Worker, which has authenticated the
   * caller (role and scope are its) and loaded the job (its status is the one in hello;
   * publishStatuses corrects it at once if it changed on the way).
   */
  async accept(url: URL): Promise<Response> {
    const jobId = Number(url.searchParams.get('job'));
    const after = Number(url.searchParams.get('after') ?? '0');
    const status = url.searchParams.get('status') as JobStatus;
    const role = url.searchParams.get('role') as Role;
    const scope = url.searchParams.get('scope') as TokenScope;
    if (!Number.isSafeInteger(jobId) || jobId <= 0 || !Number.isSafeInteger(after) || after < 0 || !JOB_STATUSES.includes(status)) return new Response('Bad request', { status: 400 });
    if (!ROLES.includes(role) || !TOKEN_SCOPES.includes(scope)) return new Response('Bad request', { status: 400 });
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const last = this.lastLine(jobId);
    this.ctx.acceptWebSocket(server, [SUBSCRIBER, jobTag(jobId)]);
    const att: SubscriberAttachment = { role: 'subscriber', jobId, sent: after, acked: after, inflight: [], gap: Math.max(0, last - after), status, reader: { role, scope } };
    // Messages sent before the 101 is returned are queued and delivered in order.
    this.send(server, { type: 'hello', job: jobId, status, last_line: last });
    this.pump(server, att, last);
    await this.publishStatuses();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A browser's message: an ack moves its window; anything else is answered, never fatal. */
  onMessage(ws: WebSocket, att: SubscriberAttachment, data: string | ArrayBuffer): void {
    const parsed = parseSubscriberMessage(data);
    if (!parsed.ok) return this.send(ws, { type: 'error', code: 'invalid_message', message: parsed.error });
    const { line } = parsed.message;
    if (line > att.sent) return this.send(ws, { type: 'error', code: 'invalid_ack', message: `Line ${line} has not been sent yet; the last line sent is ${att.sent}.` });
    if (line <= att.acked) return; // a late or repeated ack
    att.acked = line;
    att.inflight = att.inflight.filter((l) => l > line);
    this.pump(ws, att, this.lastLine(att.jobId));
  }

  /** Called right after lines of a job are stored: each watcher gets them, or is dropped. */
  linesStored(jobId: number): void {
    const sockets = this.ctx.getWebSockets(jobTag(jobId));
    if (!sockets.length) return;
    const last = this.lastLine(jobId);
    const chunks = new Map<number, Chunk>();
    for (const ws of sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const att = ws.deserializeAttachment() as SubscriberAttachment;
      if (last - att.acked - att.gap > MAX_BEHIND_LINES) {
        // The close reason is at most 123 bytes; this one is far below.
        try {
          ws.close(CLOSE_TOO_SLOW, `too slow: resume with ?after=${att.acked} or later`);
        } catch {
          /* closing already */
        }
        continue;
      }
      this.pump(ws, att, last, chunks);
    }
  }

  /**
   * Tells every watcher whose job's status changed (one D1 read for all of them). Called
   * after anything that may change statuses; a failure is logged, never thrown into the
   * relay's message handling.
   */
  async publishStatuses(): Promise<void> {
    const watching = this.ctx.getWebSockets(SUBSCRIBER);
    if (!watching.length) return;
    try {
      const ids = [...new Set(watching.map((ws) => (ws.deserializeAttachment() as SubscriberAttachment).jobId))];
      const { results } = await this.db
        .prepare('SELECT id, status, exit_code, explanation, finished FROM jobs WHERE id IN (SELECT value FROM json_each(?))')
        .bind(JSON.stringify(ids))
        .all<{ id: number; status: JobStatus; exit_code: number | null; explanation: string | null; finished: number | null }>();
      const rows = new Map(results.map((r) => [r.id, r]));
      // Sockets may have come or gone during the read.
      for (const ws of this.ctx.getWebSockets(SUBSCRIBER)) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        const att = ws.deserializeAttachment() as SubscriberAttachment;
        const row = rows.get(att.jobId);
        if (!row || row.status === att.status) continue;
        // An ended job never runs again: a read that raced a newer hello must not undo it.
        if (isFinished(att.status) && !isFinished(row.status)) continue;
        att.status = row.status;
        ws.serializeAttachment(att);
        const finished = row.finished === null ? null : new Date(row.finished).toISOString();
        this.send(ws, { type: 'status', status: row.status, exit_code: row.exit_code, explanation: row.explanation, finished, last_line: this.lastLine(att.jobId) });
      }
    } catch (e) {
      console.error(JSON.stringify({ level: 'error', msg: 'job status publish failed', error: String((e as Error)?.message ?? e) }));
    }
  }

  /** Drops cached chunks of jobs whose output was deleted (housekeeping): "never stale" no longer holds for them. */
  forgetJobs(jobIds: readonly number[]): void {
    const gone = new Set(jobIds.map(String));
    for (const key of [...this.chunkCache.keys()]) if (gone.has(key.slice(0, key.indexOf(':')))) this.chunkCache.delete(key);
  }

  /** Sends what the watcher's window allows, from SQLite, and saves its state. */
  private pump(ws: WebSocket, att: SubscriberAttachment, last: number, chunks = new Map<number, Chunk>()): void {
    try {
      const redact = !seesReadinessTokens(att.reader);
      while (att.inflight.length < WINDOW_MESSAGES && att.sent < last) {
        const chunk = chunks.get(att.sent) ?? this.cachedChunk(att.jobId, att.sent);
        if (!chunk) break;
        chunks.set(att.sent, chunk);
        // A copy for this watcher only: the chunk itself stays as stored, for the others.
        ws.send(redact && chunk.readiness ? redactReadinessJson(chunk.json) : chunk.json);
        att.sent = chunk.last;
        att.inflight.push(chunk.last);
      }
      ws.serializeAttachment(att);
    } catch {
      /* the socket closed meanwhile; its close event cleans up */
    }
  }

  private cachedChunk(jobId: number, after: number): Chunk | null {
    const key = `${jobId}:${after}`;
    const hit = this.chunkCache.get(key);
    if (hit) return hit;
    const chunk = this.readChunk(jobId, after);
    if (!chunk) return null;
    if (this.chunkCache.size >= CHUNK_CACHE) this.chunkCache.delete(this.chunkCache.keys().next().value!);
    this.chunkCache.set(key, chunk);
    return chunk;
  }

  /** The next `lines` message after a line: ≤ MAX_LINES_PER_MESSAGE lines, about MAX_TEXT_PER_MESSAGE of text. */
  private readChunk(jobId: number, after: number): Chunk | null {
    const lines: OutputLine[] = [];
    let size = 0;
    const rows = this.sql.exec<{ line_no: number; time: number; stream: string; text: string }>(
      'SELECT line_no, time, stream, text FROM job_lines WHERE job_id = ? AND line_no > ? ORDER BY line_no LIMIT ?',
      jobId,
      after,
      MAX_LINES_PER_MESSAGE,
    );
    for (const r of rows) {
      if (lines.length && size + r.text.length > MAX_TEXT_PER_MESSAGE) break;
      size += r.text.length;
      lines.push({ line: r.line_no, time: new Date(r.time).toISOString(), stream: r.stream as OutputStream, text: r.text });
    }
    if (!lines.length) return null;
    const json = JSON.stringify({ type: 'lines', lines } satisfies JobEvent);
    return { json, last: lines[lines.length - 1]!.line, readiness: mayHoldReadinessToken(json) };
  }

  private lastLine(jobId: number): number {
    return this.sql.exec<{ n: number | null }>('SELECT max(line_no) AS n FROM job_lines WHERE job_id = ?', jobId).one().n ?? 0;
  }

  private send(ws: WebSocket, msg: JobEvent): void {
    try {
      ws.send(JSON.stringify(msg));
    } catch {
      /* closed meanwhile */
    }
  }
}

const isFinished = (s: JobStatus) => (FINISHED_JOB_STATUSES as readonly string[]).includes(s);
