/** `borg check` of a repository, launched by an operator. */
import { z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { audit } from '../../audit';
import { repositories } from '../../db/schema';
import type { AppEnv } from '../../http/context';
import { notFound } from '../../http/errors';
import { errorResponses, idParams, jsonContent } from '../../http/objects';
import { apiRoute } from '../../http/router';
import { assertRepositoryUsable, insertManualJob } from '../../jobs/manual';
import { pokeRelays } from '../../taskmanager/poke';
import { jobSchema, serializeJob } from '../jobs/serialize';

const checkBody = z
  .object({
    verify_data: z
      .boolean()
      .default(false)
      .openapi({ description: 'Also read and verify every data chunk (`borg check --verify-data`): slow, reads the whole repository.' }),
  })
  .strict();

const check = apiRoute({
  method: 'post',
  path: '/repositories/{id}/check',
  access: 'operator',
  tags: ['repositories'],
  summary: 'Check a repository and its archives (borg check), optionally verifying every data chunk',
  // Optional: a bare POST checks without --verify-data.
  request: { params: idParams, body: { content: { 'application/json': { schema: checkBody } }, required: false } },
  responses: { 201: jsonContent(z.object({ job: jobSchema }), 'The check job'), ...errorResponses },
});

export function registerCheck(app: OpenAPIHono<AppEnv>) {
  app.openapi(check, async (c) => {
    const db = c.var.db;
    const { id } = c.req.valid('param');
    // Without a JSON body the validator is skipped and hands over {} (defaults not applied).
    const verifyData = c.req.valid('json').verify_data === true;
    const [repository] = await db.select().from(repositories).where(eq(repositories.id, id));
    if (!repository) throw notFound('repository');
    await assertRepositoryUsable(db, repository);
    const job = await insertManualJob(c, { type: 'check', repositoryId: repository.id, relayId: repository.relayId, params: { verify_data: verifyData } });
    await audit(c, 'check', 'repository', repository.id, { job: job.id, verify_data: verifyData });
    pokeRelays(c, [job]);
    return c.json({ job: serializeJob(job, []) }, 201);
  });
}
