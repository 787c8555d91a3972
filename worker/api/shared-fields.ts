/** Field validators used by several object endpoints. */
import { z } from '@hono/zod-openapi';

export const nameField = z
  .string()
  .trim()
  .min(1, 'Required.')
  .max(100, 'At most 100 characters.')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'Must not contain control characters.');

export const refId = (what: string) => z.number({ message: `Must be the id of a ${what}.` }).int(`Must be the id of a ${what}.`).positive(`Must be the id of a ${what}.`);
