/**
 * The job events socket (`GET /api/v1/jobs/{id}/events`): what the edge sends a browser
 * watching a job, and the one message a browser sends back. Field names follow the REST
 * API (snake_case); a line has the shape of `/jobs/{id}/stdout?format=json`. The prose,
 * with the flow control, is in docs/api.md ("Live output").
 */
import { z } from 'zod';
import type { JobStatus } from './domain';
import type { OutputLine } from './output';

/** Close code for a browser that fell too far behind: reconnect with `?after=<last line received>`. */
export const CLOSE_TOO_SLOW = 4008;
/** Most lines in one `lines` message. */
export const MAX_LINES_PER_MESSAGE = 1000;
/** A `lines` message stops adding lines past this many characters of text (at least one line). */
export const MAX_TEXT_PER_MESSAGE = 128 * 1024;

export type JobEvent =
  /** First message: the job as it is now; `last_line` is the last line stored so far. */
  | { type: 'hello'; job: number; status: JobStatus; last_line: number }
  /** Consecutive lines, in order, each sent once per connection. */
  | { type: 'lines'; lines: OutputLine[] }
  /** The job's status changed; `last_line` is the last line stored when it did. */
  | { type: 'status'; status: JobStatus; exit_code: number | null; explanation: string | null; finished: string | null; last_line: number }
  | { type: 'error'; code: 'invalid_message' | 'invalid_ack'; message: string };

/** `ack`: every line up to `line` has been received (cumulative). */
export const subscriberMessageSchema = z.discriminatedUnion('type', [z.object({ type: z.literal('ack'), line: z.number().int().nonnegative() })]);
export type SubscriberMessage = z.infer<typeof subscriberMessageSchema>;

/** Parses a browser's text frame; the error says what was wrong, for the `error` reply. */
export function parseSubscriberMessage(data: unknown): { ok: true; message: SubscriberMessage } | { ok: false; error: string } {
  if (typeof data !== 'string') return { ok: false, error: 'Send JSON text frames.' };
  if (data.length > 1024) return { ok: false, error: 'Message too long.' };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, error: 'Not JSON.' };
  }
  const result = subscriberMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, error: `Expected {"type":"ack","line":<last line received>}${issue ? ` (${issue.path.join('.') || 'message'}: ${issue.message})` : ''}.` };
  }
  return { ok: true, message: result.data };
}
