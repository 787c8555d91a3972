/** Turns zod issues into the API's field errors: one entry per field path. */
import type { ZodError } from 'zod';
import type { FieldErrors } from './errors';

export function fieldErrorsFromZod(error: ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.map(String).join('.') : 'body';
    // zod reports unknown keys once for the object; name each key instead.
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const path = [...issue.path.map(String), k].join('.');
        (fields[path] ??= []).push('Unknown field.');
      }
      continue;
    }
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}
