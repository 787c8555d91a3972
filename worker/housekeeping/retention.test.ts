import { describe, expect, it } from 'vitest';
import { batchFits, DEFAULT_RETENTION_DAYS, retentionCutoff, retentionDays } from './retention';

describe('retentionDays', () => {
  it('takes a setting in the API range and falls back to the default for anything else', () => {
    expect(retentionDays(30)).toBe(30);
    expect(retentionDays(1)).toBe(1);
    expect(retentionDays(3650)).toBe(3650);
    for (const bad of [undefined, null, 0, -5, 3651, 2.5, '30', true]) expect(retentionDays(bad)).toBe(DEFAULT_RETENTION_DAYS);
  });
});

describe('retentionCutoff', () => {
  it('is whole days of 24 h before now (UTC, no calendar arithmetic)', () => {
    expect(retentionCutoff(new Date('2026-03-31T03:00:00Z'), 90).toISOString()).toBe('2025-12-31T03:00:00.000Z');
    expect(retentionCutoff(new Date('2024-03-01T00:00:00Z'), 1).toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });
});

describe('batchFits', () => {
  it('leaves the reserve free', () => {
    expect(batchFits(50, 5, 60, 1)).toBe(true);
    expect(batchFits(55, 5, 60, 1)).toBe(false);
  });
});
