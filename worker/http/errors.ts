/**
 * The one error shape of the API:
 *   {"error": {"code", "message", "fields": {"<field>": ["<reason>"]}}}
 * Every handler throws ApiError (or lets zod validation fail); app.onError turns any
 * error into this shape so that no input a client sends ends in an unexplained 500.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type FieldErrors = Record<string, string[]>;

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldErrors };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly fields?: FieldErrors,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) } };
  }
}

export const badRequest = (fields: FieldErrors, message = 'Some fields are invalid.') =>
  new ApiError(400, 'invalid', message, fields);

/** A single invalid field, the most common 400. */
export const invalidField = (field: string, reason: string) => badRequest({ [field]: [reason] });

export const notFound = (what = 'object') => new ApiError(404, 'not_found', `No such ${what}.`);

export const conflict = (message: string, fields?: FieldErrors) => new ApiError(409, 'conflict', message, fields);

export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);

export const unauthorized = (message = 'Authentication required.') => new ApiError(401, 'unauthorized', message);
