import { describe, expect, it } from 'vitest';
import { normalizeAbsolutePath, restoreDestinationProblem, restorePathProblem } from './restore';

describe('restore checks', () => {
  it('resolves ., .. and repeated slashes, never above /', () => {
    expect(normalizeAbsolutePath('/srv//a/./b/../c/')).toBe('/srv/a/c');
    expect(normalizeAbsolutePath('/../..//.')).toBe('/');
  });
  it('refuses / as a destination unless dry run, and relative ones always', () => {
    expect(restoreDestinationProblem('/srv/restore', false)).toBeNull();
    expect(restoreDestinationProblem('/srv/..', false)).toMatch(/choose a folder/);
    expect(restoreDestinationProblem('/', true)).toBeNull();
    expect(restoreDestinationProblem('srv', true)).toMatch(/absolute/);
  });
  it('takes archive paths with or without the leading /, not empty ones', () => {
    expect(restorePathProblem('/etc/hosts')).toBeNull();
    expect(restorePathProblem("-x $(id) 'q' ü")).toBeNull();
    expect(restorePathProblem('///')).toMatch(/Not a path/);
    expect(restorePathProblem('a\rb')).toBe('Contains a control character (U+000D at position 2).');
  });
});
