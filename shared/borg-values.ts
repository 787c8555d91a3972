/**
 * The borg values the API accepts, the job spec carries and the relay puts in argv: one
 * definition each, so the three never disagree (the API refuses with the same rule the relay
 * would apply when it builds the command).
 */

/** borg 1.2 compression specs offered: none, lz4, zstd[,1-22], zlib[,0-9], lzma[,0-9], optionally `auto,` first. */
export const COMPRESSION_RE = /^(?:auto,)?(?:none|lz4|zstd(?:,(?:[1-9]|1\d|2[0-2]))?|zlib(?:,\d)?|lzma(?:,\d)?)$/;
export const COMPRESSION_HINT = 'A borg compression spec such as lz4, zstd,3, zlib,6, lzma,6, auto,zstd or none.';

/** borg 1.2 `--keep-within` intervals: a number and H, d, w, m or y. */
export const KEEP_WITHIN_RE = /^[1-9]\d{0,5}[Hdwmy]$/;
export const KEEP_WITHIN_HINT = 'Like 7d: a number and one of H d w m y.';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why borg could not use `location` as a repository location, or null. Quotes, `$()`, unicode
 * and a leading `-` are fine (quoted in scripts, after `--`). Refused: `::`, which borg reads
 * as the start of an archive name, and control characters: borg 1.2 keeps the location in a
 * one-line file of its security directory, so with a newline every later access reads as "the
 * repository was moved" and is refused (seen with 1.2.4); NUL no argv carries.
 */
export function locationProblem(location: string): string | null {
  if (location.length === 0) return 'The repository location is empty.';
  if (CONTROL.test(location)) return `The repository location ${JSON.stringify(location)} contains a control character; borg 1.2 cannot reopen such a repository.`;
  if (location.includes('::')) return `The repository location ${JSON.stringify(location)} contains "::", which borg reads as an archive name.`;
  return null;
}
