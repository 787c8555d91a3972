/** Policy actions: launch now, and the calendar of upcoming runs. */
import { z } from '@hono/zod-openapi';
import { runsBetween } from '../../../shared/cron';
import { audit } from '../../audit';
import type { AppEnv } from '../../http/context';
import { badRequest, conflict } from '../../http/errors';
import { errorResponses, idParams, jsonContent } from '../../http/objects';
import { apiRoute } from '../../http/router';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { launchPolicy } from '../../jobs/launch';
import { pokeRelays } from '../../taskmanager/poke';
import { jobSchema, serializeJob } from '../jobs/serialize';
import { loadPolicy, loadRelated } from '.';

const MAX_CALENDAR_DAYS = 366;
const MAX_CALENDAR_RUNS = 1000;

const launch = apiRoute({
  method: 'post',
  path: '/policies/{id}/launch',
  access: 'operator',
  tags: ['policies'],
  summary: 'Launch a policy now: one backup job per enabled client, with the prepare/catalog/prune/compact jobs it needs',
  request: { params: idParams },
  responses: { 201: jsonContent(z.object({ jobs: z.array(jobSchema) }), 'The jobs created'), ...errorResponses },
});

const calendar = apiRoute({
  method: 'get',
  path: '/policies/{id}/calendar',
  access: 'viewer',
  tags: ['policies'],
  summary: `Upcoming runs in [from, to) (default: the next 31 days; at most ${MAX_CALENDAR_DAYS} days, ${MAX_CALENDAR_RUNS} runs)`,
  request: {
    params: idParams,
    query: z.object({
      from: z.iso.datetime({ offset: true, message: 'Must be an ISO 8601 date-time.' }).optional(),
      to: z.iso.datetime({ offset: true, message: 'Must be an ISO 8601 date-time.' }).optional(),
    }),
  },
  responses: {
    200: jsonContent(z.object({ policy: z.number().int(), timezone: z.string(), crontab: z.string(), from: z.string(), to: z.string(), truncated: z.boolean(), runs: z.array(z.string()) }), 'Run times (UTC ISO)'),
    ...errorResponses,
  },
});

export function registerPolicyActions(app: OpenAPIHono<AppEnv>) {
  app.openapi(launch, async (c) => {
    const policy = await loadPolicy(c.var.db, c.req.valid('param').id);
    const jobs = await launchPolicy(c.var.db, policy, 'manual', c.get('principal')?.user.id ?? null);
    await audit(c, 'launch', 'policy', policy.id, { jobs: jobs.map((j) => j.id) });
    pokeRelays(c, jobs);
    return c.json({ jobs: jobs.map((j) => serializeJob(j)) }, 201);
  });

  app.openapi(calendar, async (c) => {
    const policy = await loadPolicy(c.var.db, c.req.valid('param').id);
    const q = c.req.valid('query');
    const from = q.from ? new Date(q.from) : new Date();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 31 * 86_400_000);
    if (to.getTime() <= from.getTime()) throw badRequest({ to: ['Must be after from.'] });
    if (to.getTime() - from.getTime() > MAX_CALENDAR_DAYS * 86_400_000) throw badRequest({ to: [`At most ${MAX_CALENDAR_DAYS} days after from.`] });
    const rel = await loadRelated(c.var.db, [policy]);
    const schedule = rel.schedules.get(policy.scheduleId);
    if (!schedule) throw conflict('The policy has no schedule.');
    const runs = runsBetween(schedule.crontab, schedule.timezone, new Date(from.getTime() - 1), to, MAX_CALENDAR_RUNS + 1);
    return c.json(
      {
        policy: policy.id,
        timezone: schedule.timezone,
        crontab: schedule.crontab,
        from: from.toISOString(),
        to: to.toISOString(),
        truncated: runs.length > MAX_CALENDAR_RUNS,
        runs: runs.slice(0, MAX_CALENDAR_RUNS).map((d) => d.toISOString()),
      },
      200,
    );
  });
}
