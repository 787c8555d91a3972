/**
 * Scripts for the repository jobs (init, info, list, prune, compact, check), restore
 * (extract), and `borg --version` with a version comparison for the client prepare job.
 *
 * All borg commands take `--log-json` (events on stderr, parsed by parse.ts) and get
 * `</dev/null` (nothing to read: a prompt fails at once). Each script starts with the
 * passphrase prelude when the repository is encrypted (remote-script.ts).
 *
 * Preparing a repository: run `buildInfoScript` first and classify its outcome with
 * parse.ts `classifyRepositoryProbe`; borg 1.2 exits 2 for every failure, the msgid of its
 * ERROR log line tells them apart: Repository.DoesNotExist (absent: run `buildInitScript`),
 * Repository.InvalidRepository (a directory that is no repository; `borg init` accepts an
 * existing empty one), PassphraseWrong, NoPassphraseFailure, Repository.AlreadyExists (init).
 */
import type { JobSpec, RepositorySpec, Retention } from '../../shared/jobspec';
import { KEEP_WITHIN_RE } from '../../shared/borg-values';
import { commandLine } from '../../shared/shell-quote';
import { archiveArg, checkArchiveName, repositoryArg } from './args';
import { borgEnvironment, buildScript, passphraseSecret, ScriptError, type RemoteScript } from './remote-script';

type Spec<K extends JobSpec['kind']> = Extract<JobSpec, { kind: K }>;

function borgScript(repository: RepositorySpec, what: string, commands: string[]): RemoteScript {
  return buildScript(passphraseSecret(repository), [`# borg-orchestrator: ${what}`, ...borgEnvironment(repository.encryption), ...commands]);
}

/** `borg init --encryption=<mode>` (creating missing parent directories), append-only and quota when set. */
export function buildInitScript(repository: RepositorySpec): RemoteScript {
  const argv = ['borg', 'init', '--log-json', `--encryption=${repository.encryption}`, '--make-parent-dirs'];
  if (repository.appendOnly) argv.push('--append-only');
  if (repository.quotaBytes !== null) {
    if (!Number.isSafeInteger(repository.quotaBytes) || repository.quotaBytes <= 0) throw new ScriptError(`Not a quota in bytes: ${repository.quotaBytes}.`);
    argv.push(`--storage-quota=${repository.quotaBytes}`);
  }
  return borgScript(repository, 'init', [`exec ${commandLine([...argv, '--', repositoryArg(repository)])} </dev/null`]);
}

/** `borg info --json` of the repository: proves it exists and the passphrase opens it; sizes. */
export function buildInfoScript(repository: RepositorySpec): RemoteScript {
  return borgScript(repository, 'info', [`exec ${commandLine(['borg', 'info', '--log-json', '--json', '--', repositoryArg(repository)])} </dev/null`]);
}

/**
 * `borg list --json` of the repository (its archives), or with an archive name
 * `borg list --json-lines REPO::ARCHIVE` (its files, one JSON line each: the catalog).
 */
export function buildListScript(repository: RepositorySpec, archiveName?: string): RemoteScript {
  const argv =
    archiveName === undefined
      ? ['borg', 'list', '--log-json', '--json', '--', repositoryArg(repository)]
      : ['borg', 'list', '--log-json', '--json-lines', '--', archiveArg(repository, archiveName)];
  return borgScript(repository, 'list', [`exec ${commandLine(argv)} </dev/null`]);
}

/** The catalog job: the file list of one archive. */
export function buildCatalogScript(spec: Spec<'catalog'>): RemoteScript {
  return buildListScript(spec.repository, spec.archiveName);
}


/** The --keep-* flags of the retention values that are set (0 counts as unset, as at the edge). */
export function retentionFlags(retention: Retention): string[] {
  const flags: string[] = [];
  if (retention.within !== null) {
    if (!KEEP_WITHIN_RE.test(retention.within)) throw new ScriptError(`Not a borg --keep-within interval: ${JSON.stringify(retention.within)} (like 7d; units H, d, w, m, y).`);
    flags.push(`--keep-within=${retention.within}`);
  }
  for (const unit of ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const n = retention[unit];
    if (n === null || n === 0) continue;
    if (!Number.isSafeInteger(n) || n < 0) throw new ScriptError(`Not a count of archives to keep: ${n}.`);
    flags.push(`--keep-${unit}=${n}`);
  }
  return flags;
}

/**
 * `borg prune --list --glob-archives=<glob>` with the set retention values. Refuses when none
 * is set (borg would refuse too, and "keep nothing" must never be guessed) or the glob is empty.
 * prune frees nothing by itself in 1.2: run compact afterwards.
 */
export function buildPruneScript(spec: Pick<Spec<'prune'>, 'repository' | 'archiveGlob' | 'retention'>): RemoteScript {
  const keep = retentionFlags(spec.retention);
  if (keep.length === 0) throw new ScriptError('No retention value is set (keep_within, keep_hourly … keep_yearly); refusing to prune.');
  if (spec.archiveGlob.length === 0 || spec.archiveGlob === '*') {
    throw new ScriptError('The prune glob must select the archives of one policy and client, not all archives.');
  }
  const argv = ['borg', 'prune', '--log-json', '--list', `--glob-archives=${spec.archiveGlob}`, ...keep, '--', repositoryArg(spec.repository)];
  return borgScript(spec.repository, 'prune', [`exec ${commandLine(argv)} </dev/null`]);
}

/** `borg compact`: frees the space of deleted and pruned archives. */
export function buildCompactScript(spec: Pick<Spec<'compact'>, 'repository'>): RemoteScript {
  const argv = ['borg', 'compact', '--log-json', '--info', '--progress', '--', repositoryArg(spec.repository)];
  return borgScript(spec.repository, 'compact', [`exec ${commandLine(argv)} </dev/null`]);
}

/** `borg check` of repository and archives; `--info --progress` so it reports as it goes. */
export function buildCheckScript(spec: Pick<Spec<'check'>, 'repository' | 'verifyData'>): RemoteScript {
  const argv = ['borg', 'check', '--log-json', '--info', '--progress', ...(spec.verifyData ? ['--verify-data'] : []), '--', repositoryArg(spec.repository)];
  return borgScript(spec.repository, 'check', [`exec ${commandLine(argv)} </dev/null`]);
}

/**
 * `borg extract --list [--dry-run] REPO::ARCHIVE -- <paths>` inside the destination folder
 * (created if missing; not touched on a dry run). Archive paths have no leading `/` (borg strips
 * it when creating), so one given with it is stripped here; no paths means the whole archive.
 */
export function buildExtractScript(spec: Pick<Spec<'restore'>, 'repository' | 'archiveName' | 'paths' | 'destination' | 'dryRun'>): RemoteScript {
  checkArchiveName(spec.archiveName);
  const paths = spec.paths.map((p) => {
    if (p.includes('\u0000')) throw new ScriptError('A restore path contains a NUL character.');
    const rel = p.replace(/^\/+/, '');
    if (rel === '') throw new ScriptError(`Not a path inside an archive: ${JSON.stringify(p)}.`);
    // borg reads extract arguments as patterns (`re:…`, `sh:…`, a bare `*`…): `pp:` makes each
    // one a literal path prefix, so a file named `re:x` or `a*` means exactly that file.
    return `pp:${rel}`;
  });
  const argv = ['borg', 'extract', '--log-json', '--list', ...(spec.dryRun ? ['--dry-run'] : []), '--', archiveArg(spec.repository, spec.archiveName), ...paths];
  const commands: string[] = [];
  if (!spec.dryRun) {
    if (!spec.destination.startsWith('/')) throw new ScriptError(`The restore destination must be an absolute path: ${JSON.stringify(spec.destination)}.`);
    commands.push(`${commandLine(['mkdir', '-p', '--', spec.destination])} || exit 2`, `${commandLine(['cd', '--', spec.destination])} || exit 2`);
  }
  commands.push(`exec ${commandLine(argv)} </dev/null`);
  return borgScript(spec.repository, spec.dryRun ? 'extract (dry run)' : 'extract', commands);
}

/** `borg --version`: no repository, no secret. */
export function buildVersionScript(): RemoteScript {
  return buildScript([], [`exec ${commandLine(['borg', '--version'])} </dev/null`]);
}

/** `borg 1.2.4` (or `borg-linux64 1.2.4`, `1.4.0b1`…) → `1.2.4`; null if no version is found. */
export function parseBorgVersion(output: string): string | null {
  const m = /(?:^|\s)(\d+\.\d+(?:\.\d+)?(?:[.-]?(?:a|b|rc|dev)\d*)?)(?:\s|$)/m.exec(output.trim());
  return m ? m[1]! : null;
}

function versionParts(v: string): { nums: number[]; pre: [number, number] | null } {
  const m = /^(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|dev)(\d*))?$/.exec(v.trim());
  if (!m) throw new ScriptError(`Not a version: ${JSON.stringify(v)}.`);
  const rank = { dev: 0, a: 1, b: 2, rc: 3 } as const;
  return { nums: m[1]!.split('.').map(Number), pre: m[2] ? [rank[m[2] as keyof typeof rank], Number(m[3] || 0)] : null };
}

/** -1, 0 or 1 as a is older, equal or newer than b. A pre-release sorts before its release. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (x.pre === null && y.pre === null) return 0;
  if (x.pre === null) return 1;
  if (y.pre === null) return -1;
  const d = x.pre[0] - y.pre[0] || x.pre[1] - y.pre[1];
  return d === 0 ? 0 : d < 0 ? -1 : 1;
}

/** Whether `borg --version` output shows at least `minimum`; null when no version is found. */
export function meetsMinimumVersion(versionOutput: string, minimum: string): boolean | null {
  const v = parseBorgVersion(versionOutput);
  return v === null ? null : compareVersions(v, minimum) >= 0;
}
