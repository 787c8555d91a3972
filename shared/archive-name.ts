/**
 * What a borg archive name may be. Shared so the API refuses, with the same words, what
 * the relay would refuse when it builds the borg command (relay/borg/args.ts).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export const MAX_ARCHIVE_NAME_LENGTH = 255;

/**
 * Why `name` cannot be an archive name, or null when it can. borg refuses `/`; we also
 * refuse control characters (the edge only makes names of letters, digits, `.`, `_`, `-`;
 * a newline would break borg's line outputs).
 */
export function archiveNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > MAX_ARCHIVE_NAME_LENGTH) return `An archive name has 1 to ${MAX_ARCHIVE_NAME_LENGTH} characters.`;
  if (name.includes('/')) return `The archive name ${JSON.stringify(name)} contains "/", which borg refuses.`;
  if (CONTROL.test(name)) return `The archive name ${JSON.stringify(name)} contains a control character.`;
  return null;
}
