/**
 * GET /schedules/preview: what a crontab in a timezone would do, before it is saved, for
 * the schedule editor. Same validation as a schedule (shared/cron.ts), same run times as
 * the scheduler (croner), and the crontab in words (cronstrue).
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { describeCrontab } from '../../../shared/cron-description';
import { crontabError, runsBetween, timezoneError } from '../../../shared/cron';
import { localIso } from '../../../shared/zoned-time';
import type { AppEnv } from '../../http/context';
import { errorResponses, jsonContent } from '../../http/objects';
import { apiRoute } from '../../http/router';

export const PREVIEW_DEFAULT_COUNT = 5;
export const PREVIEW_MAX_COUNT = 50;
/** The end of JavaScript time: a crontab that runs once in four years (Feb 29) still gives 50 runs. */
const END_OF_TIME = new Date(8.64e15);

const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? `Required: ${what}.` : 'Give it once, as a string.');

const previewQuery = z.object({
  crontab: z
    .string({ error: required('a 5-field crontab such as "30 2 * * *"') })
    .superRefine((v, ctx) => {
      const reason = crontabError(v);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    })
    .openapi({ description: '5 fields (minute hour day-of-month month day-of-week) or a nickname such as @daily.', example: '30 2 * * *' }),
  timezone: z
    .string({ error: 'Give it once, as a string.' })
    .max(64, 'At most 64 characters.')
    .superRefine((v, ctx) => {
      const reason = timezoneError(v);
      if (reason) ctx.addIssue({ code: 'custom', message: reason });
    })
    .default('UTC')
    .openapi({ description: 'IANA timezone the crontab is read in (default UTC).', example: 'Europe/Paris' }),
  count: z.coerce
    .number({ error: 'Must be a whole number.' })
    .int('Must be a whole number.')
    .min(1, 'Must be at least 1.')
    .max(PREVIEW_MAX_COUNT, `Must be at most ${PREVIEW_MAX_COUNT}.`)
    .default(PREVIEW_DEFAULT_COUNT)
    .openapi({ description: `How many runs (default ${PREVIEW_DEFAULT_COUNT}, max ${PREVIEW_MAX_COUNT}).` }),
  after: z.iso
    .datetime({ offset: true, message: 'Must be an ISO 8601 date-time.' })
    .optional()
    .openapi({ description: 'Runs strictly after this instant (default: now).' }),
});

const previewSchema = z
  .object({
    crontab: z.string().openapi({ description: 'The crontab as it would be saved (trimmed).' }),
    timezone: z.string(),
    description: z.string().nullable().openapi({ description: 'The crontab in English (cronstrue, 24-hour clock, in the timezone\'s wall-clock time); null when it cannot be put in words.' }),
    after: z.string().openapi({ format: 'date-time' }),
    runs: z
      .array(
        z.object({
          utc: z.string().openapi({ format: 'date-time', description: 'The run, UTC ISO 8601.' }),
          local: z.string().openapi({ description: 'The same instant on the timezone\'s wall clock, ISO 8601 with its offset (2026-03-29T03:00:00+02:00).' }),
        }),
      )
      .openapi({ description: 'The next runs in order; fewer than count only if the crontab stops running.' }),
  })
  .openapi('SchedulePreview');

const preview = apiRoute({
  method: 'get',
  path: '/schedules/preview',
  access: 'viewer',
  tags: ['schedules'],
  summary: 'The next runs of a crontab in a timezone and the crontab in words, without saving anything',
  request: { query: previewQuery },
  responses: { 200: jsonContent(previewSchema, 'The preview'), ...errorResponses },
});

/** Register before any /schedules/{id} route, or "preview" would be read as an id. */
export function registerSchedulePreview(app: OpenAPIHono<AppEnv>) {
  app.openapi(preview, (c) => {
    const q = c.req.valid('query');
    const crontab = q.crontab.trim();
    const after = q.after ? new Date(q.after) : new Date();
    const runs = runsBetween(crontab, q.timezone, after, END_OF_TIME, q.count);
    return c.json(
      {
        crontab,
        timezone: q.timezone,
        description: describeCrontab(crontab),
        after: after.toISOString(),
        runs: runs.map((d) => ({ utc: d.toISOString(), local: localIso(d, q.timezone) })),
      },
      200,
    );
  });
}
