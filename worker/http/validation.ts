/** Turns zod issues into the API's field errors: one entry per field path. */
import type { ZodError } from 'zod';
import type { FieldErrors } from './errors';

/**
 * A field-error map with no prototype: field names come from the client, and a
 * key such as "constructor" or "__proto__" must be a plain entry, not
 * Object.prototype's member (found by the malformed-body fuzz test).
 */
export function newFieldErrors(): FieldErrors {
  return Object.create(null) as FieldErrors;
}

export function addFieldError(fields: FieldErrors, key: string, reason: string): void {
  (Object.hasOwn(fields, key) ? fields[key]! : (fields[key] = [])).push(reason);
}

export function fieldErrorsFromZod(error: ZodError): FieldErrors {
  const fields = newFieldErrors();
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.map(String).join('.') : 'body';
    // zod reports unknown keys once for the object; name each key instead.
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) addFieldError(fields, [...issue.path.map(String), k].join('.'), 'Unknown field.');
      continue;
    }
    addFieldError(fields, key, issue.message);
  }
  return fields;
}
