import { describe, expect, it } from 'vitest';
import { isValidHost, isValidSshUser, parseRepositoryPath } from './hosts';

describe('hosts', () => {
  it('accepts DNS names and addresses', () => {
    for (const h of ['web1', 'web-1.example.com', 'example.com.', '10.0.0.1', '::1', 'fe80::1:2', '2001:db8::ff00:42:8329', 'xn--bcher-kva.example']) {
      expect(isValidHost(h), h).toBe(true);
    }
  });
  it('refuses what is neither', () => {
    for (const h of ['', '-web', 'web_1', 'a..b', '999.1.1.1', '1.2.3', 'host name', 'h;rm -rf /', '$(id)', 'a'.repeat(64) + '.com', 'web/1', '[::1]', 'x\ny']) {
      expect(isValidHost(h), JSON.stringify(h)).toBe(false);
    }
  });
  it('checks ssh users', () => {
    expect(isValidSshUser('root')).toBe(true);
    expect(isValidSshUser('backup_user-2')).toBe(true);
    for (const u of ['Root', '-x', 'a b', 'x;y', '', 'a'.repeat(33)]) expect(isValidSshUser(u), u).toBe(false);
  });
  it('parses repository locations', () => {
    expect(parseRepositoryPath('borg@backup:/srv/repo')).toEqual({ kind: 'ssh', user: 'borg', host: 'backup', port: null, path: '/srv/repo' });
    expect(parseRepositoryPath('ssh://borg@backup.example.com:2222/./repo')).toEqual({ kind: 'ssh', user: 'borg', host: 'backup.example.com', port: 2222, path: '/./repo' });
    expect(parseRepositoryPath('ssh://borg@[::1]:22/srv')).toEqual({ kind: 'ssh', user: 'borg', host: '::1', port: 22, path: '/srv' });
    expect(parseRepositoryPath('backup:repo')).toEqual({ kind: 'ssh', user: null, host: 'backup', port: null, path: 'repo' });
    expect(parseRepositoryPath('/var/backups/borg')).toEqual({ kind: 'local', path: '/var/backups/borg' });
    for (const bad of ['', 'relative/path', 'ssh://borg@host:99999/x', 'ssh://host', 'bad host:/x', 'u@h:/x\n/y', 'user@-host:/x', 'ssh://x@[nothex]:22/a']) {
      expect(typeof parseRepositoryPath(bad), JSON.stringify(bad)).toBe('string');
    }
  });
});
