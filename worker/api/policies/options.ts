/**
 * Policy options: per-type validation, and the split between what is stored in
 * clear (options) and what is sealed (secrets: database passwords).
 */
import type { PolicyType } from '../../../shared/domain';
import { perClientKeys, policyOptionSchemas } from '../../../shared/policy-options';
import type { Db } from '../../http/context';
import { badRequest } from '../../http/errors';
import { addFieldError, fieldErrorsFromZod, newFieldErrors } from '../../http/validation';
import { sealSecret } from '../../secrets';

export interface SplitOptions {
  options: Record<string, unknown>;
  secrets: Record<string, string>;
}

/** Validates `raw` against the schema of `type`; field errors are named `options.<path>`. */
export function parseOptions(type: PolicyType, raw: unknown): Record<string, unknown> {
  const result = policyOptionSchemas[type].safeParse(raw ?? {});
  if (!result.success) {
    const fields = newFieldErrors();
    for (const [k, reasons] of Object.entries(fieldErrorsFromZod(result.error))) for (const r of reasons) addFieldError(fields, k === 'body' ? 'options' : `options.${k}`, r);
    throw badRequest(fields);
  }
  return result.data as Record<string, unknown>;
}

/** Per-client entries must name clients of the policy. */
export function checkPerClientKeys(type: PolicyType, options: Record<string, unknown>, clientIds: number[]): void {
  const allowed = new Set(clientIds.map(String));
  const fields = newFieldErrors();
  for (const key of perClientKeys(type, options)) {
    if (!allowed.has(key)) addFieldError(fields, `options.${type === 'proxmox' ? 'vmids' : type === 'vm' ? 'domains' : 'per_client'}.${key}`, `Client ${key} is not a client of this policy.`);
  }
  if (Object.keys(fields).length) throw badRequest(fields);
}

/**
 * Moves secrets out of the options into sealed form. A secret absent from the
 * request keeps its stored value (a form cannot resend what it never saw); null
 * clears it.
 */
export async function splitSecrets(
  db: Db,
  relayId: number,
  type: PolicyType,
  options: Record<string, unknown>,
  previous: Record<string, string>,
): Promise<SplitOptions> {
  const secrets: Record<string, string> = {};
  if (type !== 'mysql') return { options, secrets };
  const clean: Record<string, unknown> = { ...options };
  const take = async (holder: Record<string, unknown>, key: string, field: string) => {
    const sealed = await sealSecret(db, relayId, { clear: holder.password as string | null | undefined, sealed: holder.password_sealed as string | null | undefined }, field);
    delete holder.password;
    delete holder.password_sealed;
    if (sealed === undefined) {
      if (previous[key]) secrets[key] = previous[key];
    } else if (sealed !== null) secrets[key] = sealed;
  };
  await take(clean, 'password', 'options.password');
  const perClient: Record<string, Record<string, unknown>> = {};
  for (const [id, entry] of Object.entries((clean.per_client ?? {}) as Record<string, Record<string, unknown>>)) {
    const copy = { ...entry };
    await take(copy, `per_client.${id}.password`, `options.per_client.${id}.password`);
    perClient[id] = copy;
  }
  clean.per_client = perClient;
  return { options: clean, secrets };
}

/** Options as the API shows them: `has_password` in place of each secret. */
export function presentOptions(type: PolicyType, options: Record<string, unknown>, secrets: Record<string, string>): Record<string, unknown> {
  if (type !== 'mysql') return options;
  const perClient: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries((options.per_client ?? {}) as Record<string, Record<string, unknown>>)) {
    perClient[id] = { ...entry, has_password: !!secrets[`per_client.${id}.password`] };
  }
  return { ...options, has_password: !!secrets.password, per_client: perClient };
}
