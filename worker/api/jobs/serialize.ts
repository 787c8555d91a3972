import { z } from '@hono/zod-openapi';
import { JOB_STATUSES, JOB_TYPES, LAUNCH_TYPES } from '../../../shared/domain';
import type { JobRow } from '../../jobs/create';
import { iso, trackedFields, trackedSchema } from '../../http/objects';

export const jobSchema = z
  .object({
    ...trackedSchema,
    type: z.enum(JOB_TYPES),
    policy: z.number().int().nullable(),
    client: z.number().int().nullable(),
    repository: z.number().int().nullable(),
    relay: z.number().int().nullable(),
    status: z.enum(JOB_STATUSES),
    launch_type: z.enum(LAUNCH_TYPES),
    depends_on: z.array(z.number().int()).optional().openapi({ description: 'Jobs this one waits for (on single-job responses).' }),
    master_job: z.number().int().nullable(),
    relaunch_of: z.number().int().nullable(),
    attempt: z.number().int(),
    archive_name: z.string().nullable(),
    params: z.record(z.string(), z.unknown()).nullable(),
    started: z.string().nullable(),
    finished: z.string().nullable(),
    elapsed_ms: z.number().int().nullable(),
    exit_code: z.number().int().nullable(),
    explanation: z.string().nullable().openapi({
      description:
        'Why the job is in its status: why it ended, or why it has not started yet (`waiting: repository busy with job 123`, `waiting for job 12 (prepare_client)`).',
    }),
    cancel_requested: z.boolean(),
    original_size: z.number().int().nullable(),
    compressed_size: z.number().int().nullable(),
    deduplicated_size: z.number().int().nullable(),
    file_count: z.number().int().nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('Job');

/** `waitingFor`: the dependency reason of a `waiting` job (waiting-for.ts), shown when it has no explanation of its own. */
export function serializeJob(j: JobRow, dependsOn?: number[], waitingFor?: string) {
  return {
    ...trackedFields(j),
    type: j.type,
    policy: j.policyId,
    client: j.clientId,
    repository: j.repositoryId,
    relay: j.relayId,
    status: j.status,
    launch_type: j.launchType,
    ...(dependsOn ? { depends_on: dependsOn } : {}),
    master_job: j.masterJobId,
    relaunch_of: j.relaunchOfId,
    attempt: j.attempt,
    archive_name: j.archiveName,
    params: j.params,
    started: iso(j.started),
    finished: iso(j.finished),
    elapsed_ms: j.elapsedMs,
    exit_code: j.exitCode,
    explanation: j.explanation ?? waitingFor ?? null,
    cancel_requested: j.cancelRequested,
    original_size: j.originalSize,
    compressed_size: j.compressedSize,
    deduplicated_size: j.deduplicatedSize,
    file_count: j.fileCount,
    result: j.result,
  };
}
