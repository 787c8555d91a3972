/**
 * The relay protocol (v1): every message between a relay and its TaskManager Durable
 * Object, as one discriminated union per direction with runtime validation. Nothing
 * crosses the socket unvalidated; an invalid message is answered with `error` naming
 * it, never a crash. See docs/relay-protocol.md for the sequence.
 *
 * Every job message carries (jobId, attempt): a message about an older attempt is
 * stale and ignored. Log frames carry a per-(job, attempt) `seq` starting at 1; the
 * edge stores each seq once and acknowledges cumulatively.
 */
import { z } from 'zod';
import { JOB_STATUSES } from './domain';
import { jobSpecSchema } from './jobspec';

export const PROTOCOL_VERSION = 1;
/** Far below the 1 MiB WebSocket frame limit of the Workers runtime. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Lines a log frame may carry, and the longest line kept (longer ones are cut). */
export const MAX_LINES_PER_FRAME = 1000;
export const MAX_LINE_CHARS = 16 * 1024;

const jobRef = { jobId: z.number().int().positive(), attempt: z.number().int().positive() };

export const outputLineSchema = z.object({
  stream: z.enum(['stdout', 'stderr', 'system']),
  text: z.string().max(MAX_LINE_CHARS),
  /** Epoch milliseconds when the relay read the line. */
  time: z.number().int().nonnegative(),
});

/** What a relay reports about an object it prepared (marks it ready at the edge). */
export const readyReportSchema = z.discriminatedUnion('object', [
  z.object({
    object: z.literal('client'),
    clientId: z.number().int().positive(),
    ip: z.string().max(45).nullable(),
    borgVersion: z.string().max(40).nullable(),
    hostKeyFingerprint: z.string().max(100),
  }),
  z.object({
    object: z.literal('repository'),
    repositoryId: z.number().int().positive(),
    originalSize: z.number().int().nonnegative().nullable(),
    compressedSize: z.number().int().nonnegative().nullable(),
    deduplicatedSize: z.number().int().nonnegative().nullable(),
  }),
]);

export type ReadyReport = z.infer<typeof readyReportSchema>;

const ENDED = JOB_STATUSES.filter((s) => ['successful', 'failed', 'error', 'canceled'].includes(s)) as ['successful', 'failed', 'error', 'canceled'];

/**
 * Liveness of the socket: the relay sends exactly PING_TEXT every few seconds and the edge
 * answers exactly PONG_TEXT. The Durable Object answers it with workerd's WebSocket
 * auto-response, without waking up (an idle relay costs nothing at the edge); a relay that
 * hears nothing for a while (a half-open connection) closes the socket and dials again.
 */
export const PING_TEXT = '{"type":"ping"}';
export const PONG_TEXT = '{"type":"pong"}';

export const relayMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping') }),
  z.object({
    type: z.literal('hello'),
    v: z.literal(PROTOCOL_VERSION),
    version: z.string().max(40),
    /** The true fate of every job the relay knows, after a reconnect or its own restart. */
    jobs: z
      .array(
        z.object({
          ...jobRef,
          state: z.enum(['running', 'ended', 'unknown']),
          /** Last log seq the relay produced (the edge resends nothing; the relay resends from lastAck+1). */
          lastSeq: z.number().int().nonnegative(),
        }),
      )
      .max(1000),
  }),
  z.object({ type: z.literal('accept'), ...jobRef }),
  z.object({ type: z.literal('reject'), ...jobRef, reason: z.string().max(2000) }),
  z.object({ type: z.literal('heartbeat'), jobs: z.array(z.object(jobRef)).max(1000) }),
  z.object({ type: z.literal('log'), ...jobRef, seq: z.number().int().positive(), lines: z.array(outputLineSchema).min(1).max(MAX_LINES_PER_FRAME) }),
  z.object({ type: z.literal('report'), ...jobRef, report: readyReportSchema }),
  z.object({
    type: z.literal('finish'),
    ...jobRef,
    lastSeq: z.number().int().nonnegative(),
    status: z.enum(ENDED),
    exitCode: z.number().int().nullable(),
    explanation: z.string().max(2000).nullable(),
    /** borg's --json result document, when there is one. */
    result: z.record(z.string(), z.unknown()).nullable(),
  }),
]);
export type RelayMessage = z.infer<typeof relayMessageSchema>;

export const edgeMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('welcome'), v: z.literal(PROTOCOL_VERSION), epoch: z.number().int().positive() }),
  z.object({ type: z.literal('offer'), spec: jobSpecSchema }),
  z.object({ type: z.literal('lease'), ...jobRef, leaseUntil: z.number().int() }),
  z.object({ type: z.literal('ack'), ...jobRef, seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('finish_ack'), ...jobRef }),
  /** The answer to `report`: ok, or the reason the edge refused it (the relay prints it and the readiness curl). */
  z.object({ type: z.literal('report_ack'), ...jobRef, ok: z.boolean(), reason: z.string().max(2000).nullable() }),
  z.object({ type: z.literal('cancel'), ...jobRef }),
  z.object({ type: z.literal('error'), code: z.string().max(60), message: z.string().max(2000), about: z.string().max(200).nullable() }),
]);
export type EdgeMessage = z.infer<typeof edgeMessageSchema>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string; about: string | null };

/** Parses one text frame; the error says what was wrong, for the `error` reply. */
function parseWith<T>(schema: z.ZodType<T>, data: unknown): ParseResult<T> {
  if (typeof data !== 'string') return { ok: false, error: 'Binary frames are not part of the protocol.', about: null };
  if (data.length > MAX_FRAME_BYTES) return { ok: false, error: `Frame larger than ${MAX_FRAME_BYTES} bytes.`, about: null };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, error: 'Not JSON.', about: null };
  }
  const about = json && typeof json === 'object' && typeof (json as { type?: unknown }).type === 'string' ? String((json as { type: string }).type).slice(0, 60) : null;
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, error: `Invalid ${about ?? 'message'}: ${issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid'}.`, about };
  }
  return { ok: true, message: result.data };
}

export const parseRelayMessage = (data: unknown) => parseWith(relayMessageSchema, data);
export const parseEdgeMessage = (data: unknown) => parseWith(edgeMessageSchema, data);
