import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const opts = { baseMs: 500, capMs: 30_000 };
    assert.equal(backoffDelay(0, { ...opts, random: () => 0.999999 }), 499);
    assert.equal(backoffDelay(3, { ...opts, random: () => 0.999999 }), 3999);
    assert.equal(backoffDelay(20, { ...opts, random: () => 0.999999 }), 29_999);
    assert.equal(backoffDelay(1000, { ...opts, random: () => 0.5 }), 15_000);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(6, opts);
      assert.ok(d >= 0 && d < 30_000);
    }
    // Jitter spreads delays: 1000 draws are not all in one narrow band.
    const draws = Array.from({ length: 1000 }, () => backoffDelay(10, opts));
    assert.ok(Math.min(...draws) < 3000 && Math.max(...draws) > 27_000);
  });
});
