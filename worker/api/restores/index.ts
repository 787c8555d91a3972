/**
 * Restores: extract paths of one archive into a folder of a client, launched by an
 * operator. The archive is named by a successful backup job or by repository and name;
 * the target client may be any ready client of the repository's relay (restoring a
 * host's files onto another host is how a lost host is rebuilt).
 */
import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { archiveNameProblem } from '../../../shared/archive-name';
import { MAX_RESTORE_PATHS, restoreDestinationProblem, restorePathProblem } from '../../../shared/restore';
import { audit } from '../../audit';
import { clients, jobs, repositories } from '../../db/schema';
import { badRequest, conflict } from '../../http/errors';
import { errorResponses, jsonBody, jsonContent } from '../../http/objects';
import { apiRoute, createRouter } from '../../http/router';
import { addFieldError, newFieldErrors } from '../../http/validation';
import { assertClientUsable, assertRepositoryUsable, insertManualJob } from '../../jobs/manual';
import { pokeRelays } from '../../taskmanager/poke';
import { jobSchema, serializeJob } from '../jobs/serialize';
import { relaysById } from '../relays/lookup';
import { refId } from '../shared-fields';

/** A zod refinement from a pure check that returns the reason, or null. */
const reason = (problem: (value: string) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const why = problem(value);
  if (why !== null) ctx.addIssue({ code: 'custom', message: why });
};

const restoreBody = z
  .object({
    job: refId('job').optional().openapi({ description: 'A successful backup job: its repository and archive are restored from. Or give repository and archive.' }),
    repository: refId('repository').optional().openapi({ description: 'With archive, instead of job.' }),
    archive: z.string().superRefine(reason(archiveNameProblem)).optional().openapi({ description: 'An archive name of the repository, with repository, instead of job.' }),
    paths: z
      .array(z.string().superRefine(reason(restorePathProblem)))
      .max(MAX_RESTORE_PATHS, `At most ${MAX_RESTORE_PATHS} paths.`)
      .openapi({ description: 'Paths inside the archive (leading / optional); [] restores the whole archive.' }),
    client: refId('client').openapi({ description: 'The client the files are written to; on the relay of the repository.' }),
    destination: z
      .string()
      // `/` itself depends on dry_run: checked with it, below.
      .superRefine(reason((d) => restoreDestinationProblem(d, true)))
      .openapi({ description: 'Absolute folder on the client the paths are extracted into (created if missing); `/` only for a dry run.' }),
    dry_run: z.boolean().default(false).openapi({ description: 'List what would be extracted without writing anything.' }),
  })
  .strict();

type RestoreBody = z.infer<typeof restoreBody>;

/** The field errors that involve more than one field (zod has checked each alone). */
function crossFieldErrors(body: RestoreBody) {
  const fields = newFieldErrors();
  if (body.job !== undefined) {
    for (const f of ['repository', 'archive'] as const) {
      if (body[f] !== undefined) addFieldError(fields, f, 'Not with job: the backup job names the repository and archive.');
    }
  } else if (body.repository === undefined && body.archive === undefined) {
    addFieldError(fields, 'job', 'Give job (a successful backup job), or repository and archive.');
  } else if (body.repository === undefined) {
    addFieldError(fields, 'repository', 'Required with archive (or give job instead).');
  } else if (body.archive === undefined) {
    addFieldError(fields, 'archive', 'Required with repository (or give job instead).');
  }
  const destination = restoreDestinationProblem(body.destination, body.dry_run);
  if (destination !== null) addFieldError(fields, 'destination', destination);
  return fields;
}

const restore = apiRoute({
  method: 'post',
  path: '/restores',
  access: 'operator',
  tags: ['jobs'],
  summary: 'Restore paths of an archive into a folder of a client (borg extract there), or list them with dry_run',
  request: jsonBody(restoreBody),
  responses: { 201: jsonContent(z.object({ job: jobSchema }), 'The restore job'), ...errorResponses },
});

export function restoreRoutes() {
  const app = createRouter();

  app.openapi(restore, async (c) => {
    const db = c.var.db;
    const body = c.req.valid('json');
    const fields = crossFieldErrors(body);
    if (Object.keys(fields).length) throw badRequest(fields);

    // Every object named must exist (400 naming the field) before any state is judged (409).
    const [[source], [named], [client]] = await db.batch([
      db.select().from(jobs).where(eq(jobs.id, body.job ?? -1)),
      db.select().from(repositories).where(eq(repositories.id, body.repository ?? -1)),
      db.select().from(clients).where(eq(clients.id, body.client)),
    ]);
    if (body.job !== undefined && !source) addFieldError(fields, 'job', 'No such job.');
    else if (source && source.type !== 'backup') addFieldError(fields, 'job', `Must be a backup job; job ${source.id} is a ${source.type} job.`);
    if (body.repository !== undefined && !named) addFieldError(fields, 'repository', 'No such repository.');
    if (!client) addFieldError(fields, 'client', 'No such client.');
    if (Object.keys(fields).length) throw badRequest(fields);

    let repository = named;
    let archiveName = body.archive;
    if (source) {
      if (source.status !== 'successful') throw conflict(`Backup job ${source.id} did not succeed (${source.status}); restore from a successful backup.`);
      if (source.repositoryId === null || source.archiveName === null) throw conflict(`Backup job ${source.id} no longer names its repository or archive.`);
      [repository] = await db.select().from(repositories).where(eq(repositories.id, source.repositoryId));
      if (!repository) throw conflict(`The repository of backup job ${source.id} no longer exists.`);
      archiveName = source.archiveName;
    }
    await assertRepositoryUsable(db, repository!);
    await assertClientUsable(db, client!);
    if (client!.relayId !== repository!.relayId) {
      const rs = await relaysById(db, [client!.relayId, repository!.relayId]);
      throw conflict(
        `Client ${client!.hostname} is on relay ${rs.get(client!.relayId)?.name ?? client!.relayId} but repository ${repository!.name} on relay ${rs.get(repository!.relayId)?.name ?? repository!.relayId}: a restore runs through the repository's relay, which must reach the client.`,
      );
    }

    const job = await insertManualJob(c, {
      type: 'restore',
      clientId: client!.id,
      repositoryId: repository!.id,
      relayId: repository!.relayId,
      archiveName: archiveName!,
      params: { paths: body.paths, destination: body.destination, dry_run: body.dry_run },
    });
    await audit(c, 'restore', 'client', client!.id, { job: job.id, repository: repository!.id, ...(source ? { backup_job: source.id } : {}), dry_run: body.dry_run });
    pokeRelays(c, [job]);
    return c.json({ job: serializeJob(job, []) }, 201);
  });

  return app;
}
