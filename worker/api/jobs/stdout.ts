/** GET /jobs/{id}/stdout: a job's stored output as text or JSON, by line range. */
import { z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { OutputLine } from '../../../shared/output';
import type { AppEnv } from '../../http/context';
import { badRequest } from '../../http/errors';
import { errorResponses, idParams } from '../../http/objects';
import { apiRoute } from '../../http/router';
import { redactReadinessLine, seesReadinessTokens } from '../../jobs/redact-readiness';
import { taskManagerFor } from '../../taskmanager/TaskManager';
import { loadJob } from '.';

/** A page of output in one response, unless downloading. */
export const MAX_STDOUT_LINES = 10_000;
/** A download is streamed from the Durable Object in chunks of this many lines. */
const DOWNLOAD_CHUNK = 5_000;

const stdoutQuery = z.object({
  format: z.enum(['txt', 'json']).default('txt'),
  start_line: z.coerce.number().int('Must be a whole number.').min(1, 'Lines start at 1.').default(1),
  end_line: z.coerce.number().int('Must be a whole number.').min(1, 'Lines start at 1.').optional(),
  download: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
});

const lineSchema = z.object({ line: z.number().int(), time: z.string(), stream: z.enum(['stdout', 'stderr', 'system']), text: z.string() });

const route = apiRoute({
  method: 'get',
  path: '/jobs/{id}/stdout',
  access: 'viewer',
  tags: ['jobs'],
  summary: `A job's output; lines are 1-based and inclusive; at most ${MAX_STDOUT_LINES} lines unless download=true`,
  request: { params: idParams, query: stdoutQuery },
  responses: {
    200: {
      description: 'The lines',
      content: {
        'text/plain': { schema: z.string() },
        'application/json': {
          schema: z.object({ job: z.number().int(), status: z.string(), total_lines: z.number().int(), start_line: z.number().int(), end_line: z.number().int().nullable(), truncated: z.boolean(), lines: z.array(lineSchema) }),
        },
      },
    },
    ...errorResponses,
  },
});

export function registerStdout(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const job = await loadJob(c.var.db, c.req.valid('param').id);
    const q = c.req.valid('query');
    if (q.end_line !== undefined && q.end_line < q.start_line) throw badRequest({ end_line: ['Must not be before start_line.'] });
    if (job.relayId === null) {
      return c.json({ job: job.id, status: job.status, total_lines: 0, start_line: q.start_line, end_line: null, truncated: false, lines: [] }, 200);
    }
    const tm = taskManagerFor(c.env, job.relayId);
    // A prepare job's readiness curl holds a one-time token: only those who may prepare see it.
    const principal = c.get('principal');
    const seesTokens = seesReadinessTokens(principal && { role: principal.user.role, scope: principal.scope });
    const shown = (lines: OutputLine[]) => (seesTokens ? lines : lines.map(redactReadinessLine));

    if (q.download) {
      // Streamed chunk by chunk so a 100,000-line log never sits whole in memory.
      const filename = `job-${job.id}.${q.format === 'json' ? 'jsonl' : 'txt'}`;
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      const enc = new TextEncoder();
      c.executionCtx.waitUntil(
        (async () => {
          const writer = writable.getWriter();
          try {
            let start = q.start_line;
            for (;;) {
              const end = q.end_line === undefined ? start + DOWNLOAD_CHUNK - 1 : Math.min(q.end_line, start + DOWNLOAD_CHUNK - 1);
              const lines = shown((await tm.readLines(job.id, { start, end, limit: DOWNLOAD_CHUNK })).lines);
              if (!lines.length) break;
              await writer.write(enc.encode(lines.map((l) => (q.format === 'json' ? JSON.stringify(l) : l.text)).join('\n') + '\n'));
              start = lines[lines.length - 1]!.line + 1;
              if (q.end_line !== undefined && start > q.end_line) break;
            }
          } catch (e) {
            // End the response with an error instead of leaving the client waiting forever.
            await writer.abort(e);
            return;
          }
          await writer.close();
        })(),
      );
      return new Response(readable, {
        status: 200,
        headers: {
          'Content-Type': q.format === 'json' ? 'application/x-ndjson' : 'text/plain; charset=utf-8',
          'Content-Disposition': `attachment; filename="${filename}"`,
          'Cache-Control': 'no-store',
        },
      }) as never;
    }

    const read = await tm.readLines(job.id, { start: q.start_line, end: q.end_line ?? null, limit: MAX_STDOUT_LINES });
    const { total } = read;
    const lines = shown(read.lines);
    const lastWanted = q.end_line === undefined ? total : Math.min(q.end_line, total);
    const last = lines.length ? lines[lines.length - 1]!.line : null;
    const truncated = last !== null && last < lastWanted;
    if (q.format === 'json') {
      return c.json({ job: job.id, status: job.status, total_lines: total, start_line: q.start_line, end_line: last, truncated, lines }, 200);
    }
    c.header('X-Total-Lines', String(total));
    c.header('X-Truncated', String(truncated));
    return c.text(lines.map((l) => l.text).join('\n') + (lines.length ? '\n' : ''), 200) as never;
  });
}
