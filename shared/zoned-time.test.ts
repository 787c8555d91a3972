import { describe, expect, it } from 'vitest';
import { localIso } from './zoned-time';

describe('localIso', () => {
  it('gives the wall clock with the offset in force, across DST and odd offsets', () => {
    expect(localIso(new Date('2026-03-29T00:59:59Z'), 'Europe/Paris')).toBe('2026-03-29T01:59:59+01:00');
    expect(localIso(new Date('2026-03-29T01:00:00Z'), 'Europe/Paris')).toBe('2026-03-29T03:00:00+02:00');
    // The two 02:30 of the fall-back night stay apart.
    expect(localIso(new Date('2026-10-25T00:30:00Z'), 'Europe/Paris')).toBe('2026-10-25T02:30:00+02:00');
    expect(localIso(new Date('2026-10-25T01:30:00Z'), 'Europe/Paris')).toBe('2026-10-25T02:30:00+01:00');
    expect(localIso(new Date('2026-01-01T00:00:00.999Z'), 'Asia/Kolkata')).toBe('2026-01-01T05:30:00+05:30');
    expect(localIso(new Date('2026-01-01T00:00:00Z'), 'America/St_Johns')).toBe('2025-12-31T20:30:00-03:30');
    expect(localIso(new Date('2026-06-01T00:00:00Z'), 'Pacific/Chatham')).toBe('2026-06-01T12:45:00+12:45');
    // Midnight is 00, never 24.
    expect(localIso(new Date('2026-01-01T23:00:00Z'), 'Europe/Paris')).toBe('2026-01-02T00:00:00+01:00');
    expect(localIso(new Date('2026-01-01T00:00:00Z'), 'UTC')).toBe('2026-01-01T00:00:00+00:00');
  });
});
