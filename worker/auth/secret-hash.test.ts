import { describe, expect, it } from 'vitest';
import { ApiError } from '../http/errors';
import { hashSecret, requireAppSecret } from './secret-hash';

describe('APP_SECRET', () => {
  it('refuses a missing, short or placeholder secret with a 503 that says why', () => {
    for (const APP_SECRET of ['', 'short', 'change-me-to-a-long-random-string']) {
      try {
        requireAppSecret({ APP_SECRET } as Env);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(ApiError);
        expect((e as ApiError).status).toBe(503);
        expect((e as ApiError).message).toMatch(/APP_SECRET/);
      }
    }
  });

  it('keys the hashes: another secret gives another hash', async () => {
    const a = await hashSecret({ APP_SECRET: 'a'.repeat(32) } as Env, 'token');
    const b = await hashSecret({ APP_SECRET: 'b'.repeat(32) } as Env, 'token');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });
});
