/**
 * Type-specific options of a policy, validated per type. Shared: the API validates
 * with these schemas and the relay builds its commands from the same shapes.
 *
 * Secrets (database passwords) appear here only in requests (`password` or
 * `password_sealed`); stored options never hold them (see worker/api/policies).
 */
import { z } from 'zod';
import type { PolicyType } from './domain';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const absolutePath = z
  .string()
  .min(2, 'Must be an absolute path.')
  .max(4096, 'At most 4096 characters.')
  .refine((p) => p.startsWith('/'), 'Must be an absolute path.')
  .refine((p) => !CONTROL.test(p), 'Must not contain control characters.');

/** A borg exclude pattern (fnmatch, `re:`, `sh:`, `pp:`, `pf:` styles are all text). */
const excludePattern = z
  .string()
  .min(1, 'Must not be empty.')
  .max(4096, 'At most 4096 characters.')
  .refine((p) => !CONTROL.test(p), 'Must not contain control characters.');

const excludes = z.array(excludePattern).max(500, 'At most 500 excludes.').default([]);

/** Database, VM domain and similar names: no control characters, not starting with '-'. */
const objectName = (what: string) =>
  z
    .string()
    .min(1, `Empty ${what}.`)
    .max(255, 'At most 255 characters.')
    .refine((s) => !CONTROL.test(s), 'Must not contain control characters.')
    .refine((s) => !s.startsWith('-'), `A ${what} cannot start with "-".`);

const secret = z
  .string()
  .min(1, 'Must not be empty.')
  .max(1024, 'At most 1024 characters.')
  .refine((s) => !s.includes('\u0000'), 'Must not contain NUL.')
  .nullable();
const sealedSecret = z.string().max(4096).nullable();

const dbUser = z.string().min(1).max(128).refine((s) => !CONTROL.test(s) && !s.startsWith('-'), 'Not a valid user name.');
const port = z.number().int('Must be a whole number.').min(1, 'Must be 1 to 65535.').max(65535, 'Must be 1 to 65535.');

/** Keys of per-client maps are client ids as strings (JSON object keys). */
const clientKey = z.string().regex(/^[1-9]\d{0,15}$/, 'Keys must be client ids.');

const mysqlCredentials = {
  user: dbUser.optional(),
  password: secret.optional(),
  password_sealed: sealedSecret.optional(),
  port: port.optional(),
  databases: z.array(objectName('database name')).max(1000).optional(),
};

export const policyOptionSchemas = {
  rootfs: z.object({ excludes }).strict(),
  config: z.object({ excludes }).strict(),
  mail: z.object({ excludes }).strict(),
  folders: z
    .object({
      folders: z.array(absolutePath).min(1, 'List at least one folder.').max(500, 'At most 500 folders.'),
      excludes,
    })
    .strict(),
  mysql: z
    .object({
      ...mysqlCredentials,
      per_client: z.record(clientKey, z.object(mysqlCredentials).strict()).default({}),
    })
    .strict(),
  postgresql: z
    .object({
      databases: z.array(objectName('database name')).max(1000).default([]),
      per_client: z.record(clientKey, z.object({ databases: z.array(objectName('database name')).max(1000) }).strict()).default({}),
    })
    .strict(),
  piped: z
    .object({
      command: z
        .string()
        .min(1, 'Required.')
        .max(4096, 'At most 4096 characters.')
        .refine((s) => !s.includes('\u0000'), 'Must not contain NUL.'),
      stdin_name: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,100}$/, 'Letters, digits, ".", "_" and "-" only.')
        .default('stdin'),
    })
    .strict(),
  proxmox: z
    .object({
      vmids: z
        .record(clientKey, z.array(z.number().int('A VM id is a whole number.').min(100, 'Proxmox VM ids start at 100.').max(999_999_999)).max(1000))
        .default({})
        .describe('VM ids per client; a client not listed (or an empty list) backs up all its guests.'),
    })
    .strict(),
  vm: z
    .object({
      domains: z
        .record(clientKey, z.array(objectName('domain name')).max(1000))
        .default({})
        .describe('libvirt domains per client; a client not listed (or an empty list) backs up all its running domains.'),
    })
    .strict(),
} as const satisfies Record<PolicyType, z.ZodType>;

export type PolicyOptionsInput<T extends PolicyType> = z.infer<(typeof policyOptionSchemas)[T]>;

/** Keys of per-client maps in the options of a type, for checking them against the policy's clients. */
export function perClientKeys(type: PolicyType, options: Record<string, unknown>): string[] {
  const map =
    type === 'mysql' || type === 'postgresql'
      ? options.per_client
      : type === 'proxmox'
        ? options.vmids
        : type === 'vm'
          ? options.domains
          : undefined;
  return map && typeof map === 'object' ? Object.keys(map) : [];
}
