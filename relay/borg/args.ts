/**
 * Checks and argv pieces shared by every borg command: repository and archive references,
 * compression, rate limit. Values are only checked and placed in argv here; the script
 * builders quote them with `commandLine`.
 *
 * Options are always written `--name=value`, one argv word: argparse would refuse a value
 * starting with `-` in the two-word form (`--exclude -x`), and would take `--exclude=-x`.
 * Positional arguments (repository, archive, paths) always follow `--`, so a repository
 * path or file path starting with `-` is never read as an option.
 */
import { archiveNameProblem } from '../../shared/archive-name';
import type { RepositorySpec } from '../../shared/jobspec';
import { ScriptError } from './remote-script';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A repository location as borg will parse it. Quotes, `$()`, unicode and a leading `-` are
 * fine (borg 1.2 takes them literally; they are quoted in the script). Refused: `::`, which
 * borg reads as the start of an archive name; control characters: borg 1.2 keeps the location
 * in a one-line file of its security directory, so with a newline every later access reads as
 * "the repository was moved" and is refused (seen with 1.2.4); and NUL, which no argv carries.
 */
export function checkLocation(location: string): string {
  if (location.length === 0) throw new ScriptError('The repository location is empty.');
  if (CONTROL.test(location)) {
    throw new ScriptError(`The repository location ${JSON.stringify(location)} contains a control character; borg 1.2 cannot reopen such a repository.`);
  }
  if (location.includes('::')) throw new ScriptError(`The repository location ${JSON.stringify(location)} contains "::", which borg reads as an archive name.`);
  return location;
}

/** An archive name, by the rule the API also applies (shared/archive-name.ts). */
export function checkArchiveName(name: string): string {
  const problem = archiveNameProblem(name);
  if (problem !== null) throw new ScriptError(problem);
  return name;
}

/** `<location>` as one argv word. */
export function repositoryArg(repository: Pick<RepositorySpec, 'location'>): string {
  return checkLocation(repository.location);
}

/** `<location>::<archive>` as one argv word. */
export function archiveArg(repository: Pick<RepositorySpec, 'location'>, archiveName: string): string {
  return `${checkLocation(repository.location)}::${checkArchiveName(archiveName)}`;
}

/** borg 1.2 compression specs: none, lz4, zstd[,1-22], zlib[,0-9], lzma[,0-9], optionally `auto,` or `obfuscate,N,` first. */
const COMPRESSION = /^(obfuscate,\d{1,3},)?(auto,)?(none|lz4|zstd(,([1-9]|1\d|2[0-2]))?|zlib(,\d)?|lzma(,\d)?)$/;

export function compressionFlag(spec: string): string {
  if (!COMPRESSION.test(spec)) throw new ScriptError(`Not a borg compression spec: ${JSON.stringify(spec)}.`);
  return `--compression=${spec}`;
}

/** borg 1.2 `--upload-ratelimit` is in kiByte/s, the unit of the client's bandwidth limit. */
export function uploadRatelimitFlags(kib: number | null): string[] {
  if (kib === null) return [];
  if (!Number.isSafeInteger(kib) || kib <= 0) throw new ScriptError(`Not a bandwidth limit in KiB/s: ${kib}.`);
  return [`--upload-ratelimit=${kib}`];
}

/** An exclude pattern as borg's `--exclude` takes it (any style prefix; checked by borg). */
export function excludeFlags(patterns: readonly string[]): string[] {
  return patterns.map((p) => {
    if (p.length === 0) throw new ScriptError('An empty exclude pattern.');
    return `--exclude=${p}`;
  });
}
