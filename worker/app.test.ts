import { describe, expect, it } from 'vitest';
import { redactPath } from './app';

describe('redactPath', () => {
  it('never logs a readiness token', () => {
    expect(redactPath('/api/v1/ready/AbC_123-xyz')).toBe('/api/v1/ready/<token>');
    expect(redactPath('/api/v1/jobs/5')).toBe('/api/v1/jobs/5');
  });
});
