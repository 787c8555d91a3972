/**
 * Pull mode for file types: GNU tar on the client writes a tar stream of the policy's paths
 * to stdout, and `borg import-tar … -` on the relay turns it into the archive. borg 1.2's
 * import-tar has no excludes, so the policy's borg patterns are translated to tar excludes
 * here, with the same meaning, or refused when tar cannot express them.
 *
 * Names: tar runs in `/` and is given `./`-prefixed relative paths (`/srv/x` → `./srv/x`, `/`
 * → `.`), so no name can start with `-`, excludes are matched against `./…` names, and
 * `--transform=s,^\./,,S` stores `srv/x`, as `borg create /srv/x` does (borg import-tar
 * keeps a `./` prefix otherwise; `S`: symlink targets are left alone).
 *
 * Patterns (borg 1.2 semantics: a leading `/` is dropped; a pattern matches a path or any
 * path below it; a trailing `/` matches only what is below):
 * - `fm:` (the default): fnmatch where `*` crosses `/` → tar `--anchored --wildcards
 *   --wildcards-match-slash`; tar does not descend into an excluded directory, which gives
 *   the "or below it" part.
 * - `pp:` / `pf:`: literal paths → the wildcard characters escaped with `\`. (`pf:` on a
 *   directory: borg does not descend into an excluded directory either, so they agree.)
 * - `sh:`: `*` does not cross `/` → tar `--no-wildcards-match-slash` for that pattern; `**`
 *   has no tar equivalent and is refused.
 * - `re:`: tar has no regular expressions: refused.
 */
import path from 'node:path';
import { ScriptError } from './remote-script';

/** A policy that cannot run in pull mode as configured. */
export class PullModeUnsupportedError extends ScriptError {
  override name = 'PullModeUnsupportedError';
}

const STYLE = /^([A-Za-z0-9]{2}):(.*)$/s;

/** borg's normalisation of a pattern: normpath, leading `/` dropped, trailing `/` kept. */
function normalize(pattern: string): { body: string; below: boolean } {
  const below = pattern.endsWith('/');
  let body = path.posix.normalize(pattern).replace(/\/+$/, '').replace(/^\/+/, '');
  if (body === '.') body = '';
  return { body, below };
}

/** Escapes tar's wildcard characters so the text matches literally. */
function literal(text: string): string {
  return text.replace(/[\\*?[]/g, (c) => `\\${c}`);
}

/** `./` + a pattern body; `./*` style for "only what is below". */
function anchored(body: string, below: boolean): string {
  const base = body === '' ? '.' : `./${body}`;
  return below ? `${base}/*` : base;
}

/** The tar options (in order) that exclude what a borg `--exclude` pattern excludes. */
export function tarExcludeArgs(patterns: readonly string[]): string[] {
  const args: string[] = [];
  for (const raw of patterns) {
    const m = STYLE.exec(raw);
    const style = m ? m[1]! : 'fm';
    const text = m ? m[2]! : raw;
    const { body, below } = normalize(text);
    if (text.length === 0) throw new PullModeUnsupportedError(`The exclude ${JSON.stringify(raw)} is empty.`);
    switch (style) {
      case 'fm':
        // borg's fnmatch has no escape character: a backslash is a literal backslash.
        args.push(`--exclude=${anchored(body.replaceAll('\\', '\\\\'), below)}`);
        break;
      case 'pp':
      case 'pf':
        args.push(`--exclude=${anchored(literal(body), below)}`);
        break;
      case 'sh':
        if (body.includes('**')) {
          throw new PullModeUnsupportedError(`The exclude ${JSON.stringify(raw)} uses "**", which tar cannot express; pull mode cannot honour it.`);
        }
        args.push('--no-wildcards-match-slash', `--exclude=${anchored(body.replaceAll('\\', '\\\\'), below)}`, '--wildcards-match-slash');
        break;
      case 're':
        throw new PullModeUnsupportedError(`The exclude ${JSON.stringify(raw)} is a regular expression, which tar cannot express; pull mode cannot honour it.`);
      default:
        throw new ScriptError(`The exclude ${JSON.stringify(raw)} has an unknown pattern style "${style}:".`);
    }
  }
  return args;
}

/** `/srv/x` → `./srv/x`; `/` → `.`. Paths must be absolute. */
export function tarMemberPath(absolute: string): string {
  if (!absolute.startsWith('/')) throw new ScriptError(`Not an absolute path: ${JSON.stringify(absolute)}.`);
  const rel = absolute.replace(/^\/+/, '');
  return rel === '' ? '.' : `./${rel}`;
}

/**
 * `tar` writing a pax stream of `members` (already `./`-relative, or `"$@"` words added by the
 * caller) to stdout, run in `/`. Without member arguments: the caller appends them.
 */
export function tarCreateArgv(excludes: readonly string[]): string[] {
  return [
    'tar',
    '--create',
    '--file=-',
    '--directory=/',
    '--format=pax',
    '--transform=s,^\\./,,S',
    '--anchored',
    '--wildcards',
    '--wildcards-match-slash',
    ...tarExcludeArgs(excludes),
  ];
}
