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
import { COMPRESSION_RE, locationProblem } from '../../shared/borg-values';
import type { RepositorySpec } from '../../shared/jobspec';
import { ScriptError } from './remote-script';

/** A repository location as borg will parse it (the rule: shared/borg-values.ts). */
export function checkLocation(location: string): string {
  const problem = locationProblem(location);
  if (problem !== null) throw new ScriptError(problem);
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

export function compressionFlag(spec: string): string {
  if (!COMPRESSION_RE.test(spec)) throw new ScriptError(`Not a borg compression spec: ${JSON.stringify(spec)}.`);
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
