/** GET /stats: per day over the last 30 days, backups that succeeded and failed, and bytes. */
import { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { errorResponses, jsonContent } from '../../http/objects';
import { apiRoute, createRouter } from '../../http/router';

export const STATS_DAYS = 30;
const DAY_MS = 86_400_000;

const daySchema = z.object({
  date: z.string().openapi({ example: '2026-11-26' }),
  successful: z.number().int(),
  failed: z.number().int(),
  original_size: z.number().int(),
  deduplicated_size: z.number().int(),
});

const route = apiRoute({
  method: 'get',
  path: '/stats',
  access: 'viewer',
  tags: ['stats'],
  summary: `Backups per day (UTC) over the last ${STATS_DAYS} days: successes, failures (failed, error, lost) and bytes of the successful ones`,
  responses: { 200: jsonContent(z.object({ days: z.array(daySchema) }), 'Oldest day first, today last'), ...errorResponses },
});

export function statsRoutes() {
  const app = createRouter();
  app.openapi(route, async (c) => {
    const today = Math.floor(Date.now() / DAY_MS);
    const since = (today - STATS_DAYS + 1) * DAY_MS;
    // Served by the covering index jobs_stats_idx (finished, type, status, sizes).
    // The day length is inlined: D1 binds JS numbers as REAL, which would turn the
    // integer division into a fractional day.
    const rows = await c.var.db.all<{ day: number; ok: number; bad: number; orig: number | null; dedup: number | null }>(sql`
      SELECT finished / ${sql.raw(String(DAY_MS))} AS day,
             sum(status = 'successful') AS ok,
             sum(status IN ('failed', 'error', 'lost')) AS bad,
             sum(CASE WHEN status = 'successful' THEN original_size END) AS orig,
             sum(CASE WHEN status = 'successful' THEN deduplicated_size END) AS dedup
        FROM jobs
       WHERE finished >= ${since} AND type = 'backup'
       GROUP BY day`);
    const byDay = new Map(rows.map((r) => [r.day, r]));
    const days = [];
    for (let d = today - STATS_DAYS + 1; d <= today; d++) {
      const r = byDay.get(d);
      days.push({
        date: new Date(d * DAY_MS).toISOString().slice(0, 10),
        successful: r?.ok ?? 0,
        failed: r?.bad ?? 0,
        original_size: r?.orig ?? 0,
        deduplicated_size: r?.dedup ?? 0,
      });
    }
    return c.json({ days }, 200);
  });
  return app;
}
