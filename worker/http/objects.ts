/** Small helpers shared by the object endpoints. */
import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';
import type { AppEnv } from './context';

/** created/modified stamps for an insert. */
export function createdStamp(c: Context<AppEnv>) {
  const uid = c.get('principal')?.user.id ?? null;
  const now = new Date();
  return { created: now, modified: now, createdBy: uid, modifiedBy: uid };
}

/** modified stamp for an update. */
export function modifiedStamp(c: Context<AppEnv>) {
  return { modified: new Date(), modifiedBy: c.get('principal')?.user.id ?? null };
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export const idParams = z.object({
  id: z.coerce.number().int('Must be an id.').positive('Must be an id.').openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});

/** Common fields of every object in responses. */
export const trackedSchema = {
  id: z.number().int(),
  created: z.string().openapi({ format: 'date-time' }),
  modified: z.string().openapi({ format: 'date-time' }),
  created_by: z.number().int().nullable(),
  modified_by: z.number().int().nullable(),
};

export function trackedFields(row: { id: number; created: Date; modified: Date; createdBy: number | null; modifiedBy: number | null }) {
  return {
    id: row.id,
    created: row.created.toISOString(),
    modified: row.modified.toISOString(),
    created_by: row.createdBy,
    modified_by: row.modifiedBy,
  };
}

/** `usable` and the reasons it is false, for objects that depend on others. */
export const usableSchema = {
  usable: z.boolean(),
  unusable_reasons: z.array(z.string()),
};

export function usable(reasons: string[]) {
  return { usable: reasons.length === 0, unusable_reasons: reasons };
}

/** Names of the keys present in a PATCH body, for the audit log. */
export const changedFields = (body: object) => Object.keys(body).sort();

/** JSON responses documented in one line. */
export const jsonContent = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.record(z.string(), z.array(z.string())).optional(),
    }),
  })
  .openapi('Error');

/** The error responses every authenticated route can give. */
export const errorResponses = {
  400: jsonContent(errorSchema, 'Invalid input: `fields` names each invalid field.'),
  401: jsonContent(errorSchema, 'Not authenticated.'),
  403: jsonContent(errorSchema, 'Not allowed for this role or token scope.'),
  404: jsonContent(errorSchema, 'No such object.'),
  409: jsonContent(errorSchema, 'Conflicts with the current state.'),
} as const;
