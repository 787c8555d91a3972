/**
 * The UI talks only to the public REST API (`/api/v1`), with the session cookie, so
 * anything it does a script can do too. Errors come back as `ApiFailure` with the API's
 * one error shape, whose `fields` the forms show beside each input.
 */
export interface ApiErrorBody {
  error: { code: string; message: string; fields?: Record<string, string[]> };
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.error.message);
  }
  /** The reasons for one field (`name`, `options.folders.0`), if any. */
  field(name: string): string[] | undefined {
    return this.body.error.fields?.[name];
  }
}

/** Called when any request answers 401 (session expired or revoked): the app shows sign-in. */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: (() => void) | null) {
  onUnauthorized = fn;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, { error: { code: 'network', message: 'The server could not be reached. Check your connection and try again.' } });
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/auth/') && path !== '/setup') onUnauthorized?.();
    const fallback: ApiErrorBody = { error: { code: 'http', message: `${res.status} ${res.statusText}` } };
    throw new ApiFailure(res.status, (parsed as ApiErrorBody | null)?.error ? (parsed as ApiErrorBody) : fallback);
  }
  return parsed as T;
}

/** A query string from defined, non-empty values (`?a=1&b=x`), or ''. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** The path and query of a `next`/`previous` link of a list, relative to /api/v1. */
export function pageLinkPath(link: string): string {
  const u = new URL(link, location.origin);
  return u.pathname.replace(/^\/api\/v1/, '') + u.search;
}

/** The message to show for any error thrown by `api`. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiFailure) {
    const fields = err.body.error.fields;
    if (fields && Object.keys(fields).length) {
      return `${err.message} ${Object.entries(fields).map(([k, v]) => `${k}: ${v.join(' ')}`).join('; ')}`;
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
