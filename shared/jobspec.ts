/**
 * Job specs: the typed operations the edge sends a relay. Never shell text: the relay
 * builds every command from these fields with the one quoting function
 * (shared/shell-quote.ts). The only free-form commands are the ones a policy is made
 * of (piped command, hooks), which the relay runs only where its operator allows.
 *
 * Where each kind runs: `backup` on the client in push mode (borg there reaches the
 * repository) and on the relay in pull mode; every repository-only kind (prepare of a
 * repository, catalog, prune, compact, check) on the relay, which holds the SSH key of
 * the repository host; `prepare_client` and `restore` on the client.
 */
import { z } from 'zod';
import { archiveNameProblem } from './archive-name';
import { COMPRESSION_HINT, COMPRESSION_RE, KEEP_WITHIN_HINT, KEEP_WITHIN_RE, locationProblem } from './borg-values';
import { ENCRYPTION_MODES, POLICY_TYPES } from './domain';
import { policyOptionSchemas } from './policy-options';

/** Checked where the spec is built (the edge) and where it is read (the relay): the same rules as the API's. */
const location = z
  .string()
  .max(1024)
  .superRefine((v, ctx) => {
    const problem = locationProblem(v);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
const archiveName = z.string().superRefine((v, ctx) => {
  const problem = archiveNameProblem(v);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

export const JOB_SPEC_VERSION = 1;

const id = z.number().int().positive();

export const sshTargetSchema = z.object({
  /** Client id at the edge, for reports (host key, ip, borg version). */
  clientId: id,
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1).max(32),
  /** `SHA256:…` pinned at the edge, or null to trust on first use and report it. */
  hostKeyFingerprint: z.string().nullable(),
});
export type SshTarget = z.infer<typeof sshTargetSchema>;

export const repositorySpecSchema = z.object({
  repositoryId: id,
  /** As configured: `user@host:/path`, `ssh://user@host:port/path` or a path on the relay host. */
  location,
  encryption: z.enum(ENCRYPTION_MODES),
  /** Sealed to this relay's key (shared/sealed.ts); null for encryption `none`. */
  passphraseSealed: z.string().nullable(),
  appendOnly: z.boolean(),
  quotaBytes: z.number().int().positive().nullable(),
});
export type RepositorySpec = z.infer<typeof repositorySpecSchema>;

export const retentionSchema = z.object({
  within: z.string().regex(KEEP_WITHIN_RE, KEEP_WITHIN_HINT).nullable(),
  hourly: z.number().int().min(0).nullable(),
  daily: z.number().int().min(0).nullable(),
  weekly: z.number().int().min(0).nullable(),
  monthly: z.number().int().min(0).nullable(),
  yearly: z.number().int().min(0).nullable(),
});
export type Retention = z.infer<typeof retentionSchema>;

const common = {
  jobId: id,
  attempt: z.number().int().positive(),
  /** Hard limit; the relay stops the job and reports it past this. */
  maxDurationSeconds: z.number().int().positive().nullable(),
};

export const jobSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    ...common,
    kind: z.literal('backup'),
    client: sshTargetSchema.extend({
      hostname: z.string(),
      bandwidthLimitKiB: z.number().int().positive().nullable(),
      behindFirewall: z.boolean(),
    }),
    repository: repositorySpecSchema,
    archiveName,
    policyType: z.enum(POLICY_TYPES),
    /** Options of the type, validated with shared/policy-options.ts, without secrets. */
    options: z.record(z.string(), z.unknown()),
    /** Sealed secrets of the options (database passwords), keyed by option path. */
    sealedSecrets: z.record(z.string(), z.string()),
    compression: z.string().regex(COMPRESSION_RE, COMPRESSION_HINT),
    preHook: z.string().nullable(),
    postHook: z.string().nullable(),
    modePull: z.boolean(),
  }).superRefine((spec, ctx) => {
    // The options of the policy's own type, by the API's schema (secrets are in sealedSecrets).
    const parsed = policyOptionSchemas[spec.policyType].safeParse(spec.options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['options', ...issue.path.map(String)], message: issue.message });
    }
  }),
  z.object({
    ...common,
    kind: z.literal('prepare_client'),
    client: sshTargetSchema,
    minBorgVersion: z.string(),
    installBorg: z.boolean(),
    /** The one-time readiness curl's URL, printed when the relay cannot report itself. */
    readinessUrl: z.string(),
  }),
  z.object({ ...common, kind: z.literal('prepare_repository'), repository: repositorySpecSchema, readinessUrl: z.string() }),
  z.object({ ...common, kind: z.literal('catalog'), repository: repositorySpecSchema, archiveName }),
  z.object({
    ...common,
    kind: z.literal('prune'),
    repository: repositorySpecSchema,
    /** Only archives of this policy and client: `{type}-{hostname}-*`. */
    archiveGlob: z.string(),
    retention: retentionSchema,
  }),
  z.object({ ...common, kind: z.literal('compact'), repository: repositorySpecSchema }),
  z.object({ ...common, kind: z.literal('check'), repository: repositorySpecSchema, verifyData: z.boolean() }),
  z.object({
    ...common,
    kind: z.literal('restore'),
    repository: repositorySpecSchema,
    archiveName,
    paths: z.array(z.string()).max(1000),
    target: sshTargetSchema,
    destination: z.string(),
    dryRun: z.boolean(),
  }),
]);
export type JobSpec = z.infer<typeof jobSpecSchema>;
export type JobSpecKind = JobSpec['kind'];
