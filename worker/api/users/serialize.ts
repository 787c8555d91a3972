import { z } from '@hono/zod-openapi';
import { NOTIFICATION_KINDS, ROLES, type NotificationPreferences } from '../../../shared/domain';
import type { UserRow } from '../../http/context';
import { trackedFields, trackedSchema } from '../../http/objects';

export const notificationsSchema = z
  .object(Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, z.boolean()])) as Record<(typeof NOTIFICATION_KINDS)[number], z.ZodBoolean>)
  .strict();

export const defaultNotifications = (): NotificationPreferences =>
  Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, k === 'backup_failed'])) as NotificationPreferences;

export const userSchema = z
  .object({
    ...trackedSchema,
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    active: z.boolean(),
    notifications: notificationsSchema,
  })
  .openapi('User');

/** The API view of a user: never the password hash. */
export function serializeUser(u: UserRow) {
  return {
    ...trackedFields(u),
    email: u.email,
    name: u.name,
    role: u.role,
    active: u.active,
    notifications: { ...defaultNotifications(), ...u.notifications },
  };
}

export const emailField = z
  .string()
  .trim()
  .max(254, 'At most 254 characters.')
  .email('Not an email address.')
  .transform((e) => e.toLowerCase());

/** Long passphrases welcome; the upper bound only keeps PBKDF2 input sane. */
export const passwordField = z.string().min(10, 'At least 10 characters.').max(1024, 'At most 1024 characters.');

export const nameField = z.string().trim().max(200, 'At most 200 characters.');
