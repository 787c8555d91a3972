/**
 * The one shell-quoting function of the project. Every value that reaches a shell
 * (paths, excludes, archive names, database names, hostnames, the readiness curl
 * printed for a host) goes through
 * `quote`; command lines are only ever assembled by `commandLine` from already
 * split argv arrays, never by string concatenation of values.
 *
 * POSIX single quotes: inside '...' no character is special, so a value is wrapped
 * in single quotes and each ' inside it becomes '\'' (close, escaped quote, reopen).
 * This is exact for sh, dash, bash, zsh and busybox ash. NUL cannot be passed in an
 * argv at all, so it is refused rather than silently truncated.
 */

export class UnquotableError extends Error {}

/** Characters that never need quoting: keeps command lines readable in job logs. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quote(value: string): string {
  if (value.includes('\u0000')) throw new UnquotableError('A NUL character cannot be passed to a command.');
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Joins argv into one shell command line, quoting every word. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new UnquotableError('An empty command.');
  return argv.map(quote).join(' ');
}
