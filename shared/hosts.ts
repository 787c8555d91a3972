/**
 * Syntax checks for host names, SSH users and repository paths. Shared so the
 * API refuses what the relay would refuse, with the same words.
 */

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isIPv4(host: string): boolean {
  return IPV4_RE.test(host);
}

export function isIPv6(host: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) return false;
  // Let the URL parser decide: it implements the full RFC 4291 text forms.
  try {
    return new URL(`http://[${host}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/** A DNS name (RFC 1123 labels, 253 characters at most) or an IPv4/IPv6 address. */
export function isValidHost(host: string): boolean {
  if (isIPv4(host) || isIPv6(host)) return true;
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  // An all-numeric dotted name that failed the IPv4 check (e.g. 999.1.1.1) is a typo, not a name.
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => LABEL_RE.test(l));
}

/** POSIX portable user name, as useradd accepts by default. */
export function isValidSshUser(user: string): boolean {
  return /^[a-z_][a-z0-9_-]{0,31}\$?$/.test(user);
}

export type RepositoryLocation =
  | { kind: 'ssh'; user: string | null; host: string; port: number | null; path: string }
  | { kind: 'local'; path: string };

/**
 * Parses a repository location: `user@host:/path` (SCP style, also `host:path` and
 * `user@[v6]:path`), `ssh://user@host:port/path`, or an absolute path on the relay host.
 * Returns a reason string when it is not one of those.
 */
export function parseRepositoryPath(text: string): RepositoryLocation | string {
  if (text.length === 0) return 'Required.';
  if (text.length > 1024) return 'At most 1024 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return 'Must not contain control characters.';
  if (text.startsWith('/')) return { kind: 'local', path: text };
  if (text.startsWith('ssh://')) {
    const m = /^ssh:\/\/(?:([^@/:]+)@)?(\[[^\]]+\]|[^/:@]+)(?::(\d+))?(\/.*)$/.exec(text);
    if (!m) return 'Not an ssh:// URL of the form ssh://user@host:port/path.';
    const [, user, rawHost, port, path] = m as unknown as [string, string | undefined, string, string | undefined, string];
    return checkSsh(user ?? null, rawHost, port === undefined ? null : Number(port), path);
  }
  const m = /^(?:([^@/:]+)@)?(\[[^\]]+\]|[^/:@[\]]+):(.+)$/.exec(text);
  if (!m) return 'Must be user@host:/path, ssh://user@host:port/path or an absolute local path.';
  const [, user, rawHost, path] = m as unknown as [string, string | undefined, string, string];
  return checkSsh(user ?? null, rawHost, null, path);
}

function checkSsh(user: string | null, rawHost: string, port: number | null, path: string): RepositoryLocation | string {
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (rawHost.startsWith('[') && !isIPv6(host)) return `"${host}" is not an IPv6 address.`;
  if (!isValidHost(host)) return `"${host}" is not a valid host name or address.`;
  if (user !== null && !isValidSshUser(user)) return `"${user}" is not a valid user name.`;
  if (port !== null && (!Number.isInteger(port) || port < 1 || port > 65535)) return 'The port must be 1 to 65535.';
  if (path.length === 0) return 'The path is empty.';
  return { kind: 'ssh', user, host, port, path };
}
