/**
 * What a restore may ask for: the paths inside an archive and the folder they are
 * extracted into on the target client. Pure checks: the API refuses with these words,
 * and a form in the UI can give the same ones before sending.
 */

export const MAX_RESTORE_PATHS = 1000;
export const MAX_RESTORE_PATH_LENGTH = 4096;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function controlProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'Contains a NUL character.';
  const at = text.search(CONTROL);
  return at === -1 ? null : `Contains a control character (U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')} at position ${at + 1}).`;
}

/**
 * Why `path` cannot name something inside an archive, or null. A leading `/` is fine:
 * archives store paths without it and the relay strips it, but a path that is nothing
 * else (`/`, empty) names no member; give no paths to restore the whole archive.
 */
export function restorePathProblem(path: string): string | null {
  if (path.length > MAX_RESTORE_PATH_LENGTH) return `At most ${MAX_RESTORE_PATH_LENGTH} characters.`;
  const control = controlProblem(path);
  if (control) return control;
  if (path.replace(/^\/+/, '') === '') return 'Not a path inside the archive; give no paths to restore the whole archive.';
  return null;
}

/** `path` with `.`, `..` and repeated slashes resolved (POSIX rules; `..` stops at `/`). */
export function normalizeAbsolutePath(path: string): string {
  const parts: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') parts.pop();
    else parts.push(segment);
  }
  return `/${parts.join('/')}`;
}

/**
 * Why `destination` cannot receive a restore, or null. It must be absolute (extraction
 * happens in it on the client). Extracting into `/` would overwrite the system with the
 * archive's files, so it is refused unless the restore is a dry run, which writes nothing.
 */
export function restoreDestinationProblem(destination: string, dryRun: boolean): string | null {
  if (destination.length > MAX_RESTORE_PATH_LENGTH) return `At most ${MAX_RESTORE_PATH_LENGTH} characters.`;
  const control = controlProblem(destination);
  if (control) return control;
  if (!destination.startsWith('/')) return 'Must be an absolute path (starting with /) on the target client.';
  if (!dryRun && normalizeAbsolutePath(destination) === '/') return 'Restoring over / is refused: choose a folder (e.g. /var/tmp/restore), or make it a dry run.';
  return null;
}
