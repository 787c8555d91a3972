/**
 * GET /schedules/preview: the next runs of a crontab in a timezone (UTC and wall clock)
 * and the crontab in words, for the schedule editor; nothing is saved.
 */
import { describe, expect, it } from 'vitest';
import { get, setupAdmin, tokenFor, userWithRole, type As } from './helpers';
import { create } from './fixtures';

const q = (params: Record<string, string>) => `/schedules/preview?${new URLSearchParams(params)}`;

async function viewer(): Promise<{ admin: As; viewer: As }> {
  const admin = await setupAdmin();
  return { admin, viewer: (await userWithRole(admin, 'viewer')).session };
}

describe('schedule preview', () => {
  it('gives the next runs in UTC and on the wall clock, with the crontab in words (viewer)', async () => {
    const { viewer: as } = await viewer();
    const res = await get(q({ crontab: ' 0 2 * * 1-5 ', timezone: 'America/New_York', after: '2026-01-01T00:00:00Z', count: '3' }), as);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      crontab: '0 2 * * 1-5',
      timezone: 'America/New_York',
      description: 'At 02:00, Monday through Friday',
      after: '2026-01-01T00:00:00.000Z',
      runs: [
        // 2026-01-01 is a Thursday; 02:00 EST is 07:00Z.
        { utc: '2026-01-01T07:00:00.000Z', local: '2026-01-01T02:00:00-05:00' },
        { utc: '2026-01-02T07:00:00.000Z', local: '2026-01-02T02:00:00-05:00' },
        { utc: '2026-01-05T07:00:00.000Z', local: '2026-01-05T02:00:00-05:00' },
      ],
    });
  });

  it('defaults: UTC, 5 runs, from now; at most 50 runs', async () => {
    const { viewer: as } = await viewer();
    const before = Date.now();
    const res = await get(q({ crontab: '*/15 * * * *' }), as);
    expect(res.status, res.text).toBe(200);
    expect(res.body.timezone).toBe('UTC');
    expect(res.body.description).toBe('Every 15 minutes');
    expect(res.body.runs).toHaveLength(5);
    const first = Date.parse(res.body.runs[0].utc);
    expect(first).toBeGreaterThan(before);
    expect(first - before).toBeLessThanOrEqual(15 * 60_000);
    for (const r of res.body.runs) expect(r.local).toBe(r.utc.replace('.000Z', '+00:00'));
    const many = await get(q({ crontab: '@hourly', count: '50' }), as);
    expect(many.body.runs).toHaveLength(50);
    // A crontab that runs once in four years still gives its runs.
    const leap = await get(q({ crontab: '0 0 29 2 *', after: '2026-01-01T00:00:00Z', count: '3' }), as);
    expect(leap.body.runs.map((r: any) => r.utc)).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z']);
  });

  it('Europe/Paris spring forward: a daily 02:30 runs once, at 03:00 CEST right after the gap', async () => {
    const { viewer: as } = await viewer();
    const res = await get(q({ crontab: '30 2 * * *', timezone: 'Europe/Paris', after: '2026-03-27T12:00:00Z', count: '4' }), as);
    expect(res.status, res.text).toBe(200);
    expect(res.body.description).toBe('At 02:30');
    expect(res.body.runs).toEqual([
      { utc: '2026-03-28T01:30:00.000Z', local: '2026-03-28T02:30:00+01:00' },
      { utc: '2026-03-29T01:00:00.000Z', local: '2026-03-29T03:00:00+02:00' },
      { utc: '2026-03-30T00:30:00.000Z', local: '2026-03-30T02:30:00+02:00' },
      { utc: '2026-03-31T00:30:00.000Z', local: '2026-03-31T02:30:00+02:00' },
    ]);
  });

  it('Europe/Paris fall back: a daily 02:30 runs once, at the first of the two 02:30', async () => {
    const { viewer: as } = await viewer();
    const res = await get(q({ crontab: '30 2 * * *', timezone: 'Europe/Paris', after: '2026-10-23T12:00:00Z', count: '4' }), as);
    expect(res.body.runs).toEqual([
      { utc: '2026-10-24T00:30:00.000Z', local: '2026-10-24T02:30:00+02:00' },
      { utc: '2026-10-25T00:30:00.000Z', local: '2026-10-25T02:30:00+02:00' },
      { utc: '2026-10-26T01:30:00.000Z', local: '2026-10-26T02:30:00+01:00' },
      { utc: '2026-10-27T01:30:00.000Z', local: '2026-10-27T02:30:00+01:00' },
    ]);
  });

  it('interval crontabs follow croner: skipped in the spring gap, both occurrences in the repeated hour', async () => {
    const { viewer: as } = await viewer();
    const spring = await get(q({ crontab: '*/30 2 * * *', timezone: 'Europe/Paris', after: '2026-03-28T12:00:00Z', count: '2' }), as);
    // No 02:00 or 02:30 exists on 2026-03-29: the next runs are on the 30th.
    expect(spring.body.runs.map((r: any) => r.local)).toEqual(['2026-03-30T02:00:00+02:00', '2026-03-30T02:30:00+02:00']);
    const fall = await get(q({ crontab: '*/30 2 * * *', timezone: 'Europe/Paris', after: '2026-10-24T12:00:00Z', count: '4' }), as);
    expect(fall.body.runs.map((r: any) => r.local)).toEqual(['2026-10-25T02:00:00+02:00', '2026-10-25T02:30:00+02:00', '2026-10-25T02:00:00+01:00', '2026-10-25T02:30:00+01:00']);
    expect(fall.body.description).toBe('Every 30 minutes, between 02:00 and 02:59');
  });

  it('describes crontabs in words (24-hour clock); null when cronstrue cannot', async () => {
    const { viewer: as } = await viewer();
    const cases: [string, string | null][] = [
      ['0 2 * * *', 'At 02:00'],
      ['@daily', 'At 00:00'],
      ['@weekly', 'At 00:00, only on Sunday'],
      ['0 3 1 * *', 'At 03:00, on day 1 of the month'],
      ['0 22 * * 1-5', 'At 22:00, Monday through Friday'],
      ['15,45 */4 * * *', 'At 15 and 45 minutes past the hour, every 4 hours'],
      ['0 0 L * *', 'At 00:00, on the last day of the month'],
      // croner's `+` (day-of-month AND day-of-week) is valid there but unknown to cronstrue.
      ['0 12 1 * +MON', null],
    ];
    for (const [crontab, description] of cases) {
      const res = await get(q({ crontab }), as);
      expect(res.status, `${crontab}: ${res.text}`).toBe(200);
      expect(res.body.description, crontab).toBe(description);
    }
  });

  it('is not read as /schedules/{id}, and is in the OpenAPI document', async () => {
    const { admin } = await viewer();
    await create('/schedules', { name: 'nightly', crontab: '0 2 * * *' }, admin);
    expect((await get(q({ crontab: '0 2 * * *' }), admin)).status).toBe(200);
    const doc = (await get('/openapi.json')).body;
    const op = doc.paths['/api/v1/schedules/preview'].get;
    expect(op['x-access']).toBe('viewer');
    expect(op.parameters.map((p: any) => p.name).sort()).toEqual(['after', 'count', 'crontab', 'timezone']);
    expect(doc.components.schemas.SchedulePreview).toBeDefined();
  });

  it('400 names the field and the problem', async () => {
    const { viewer: as } = await viewer();
    const fieldsOf = async (path: string) => {
      const res = await get(path, as);
      expect(res.status, `${path}: ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe('invalid');
      return res.body.error.fields as Record<string, string[]>;
    };
    expect(await fieldsOf('/schedules/preview')).toEqual({ crontab: ['Required: a 5-field crontab such as "30 2 * * *".'] });
    expect(await fieldsOf(q({ crontab: '' }))).toEqual({ crontab: ['Must have exactly 5 fields: minute hour day-of-month month day-of-week.'] });
    expect(await fieldsOf(q({ crontab: '0 2 * *' }))).toEqual({ crontab: ['Must have exactly 5 fields: minute hour day-of-month month day-of-week.'] });
    expect(await fieldsOf(q({ crontab: '0 0 2 * * *' }))).toHaveProperty('crontab');
    expect((await fieldsOf(q({ crontab: '61 * * * *' }))).crontab![0]).toMatch(/minute/i);
    expect(await fieldsOf(q({ crontab: '0 0 31 2 *' }))).toEqual({ crontab: ['This schedule never runs.'] });
    expect(await fieldsOf(q({ crontab: 'x'.repeat(201) }))).toEqual({ crontab: ['At most 200 characters.'] });
    expect(await fieldsOf(q({ crontab: '@reboot' }))).toHaveProperty('crontab');
    expect(await fieldsOf(q({ crontab: '0 2 * * *', timezone: 'Mars/Olympus_Mons' }))).toEqual({
      timezone: ['Unknown timezone "Mars/Olympus_Mons"; use an IANA name such as Europe/Paris or UTC.'],
    });
    expect((await fieldsOf(q({ crontab: '0 2 * * *', timezone: 'E'.repeat(65) }))).timezone).toContain('At most 64 characters.');
    expect(await fieldsOf(q({ crontab: '0 2 * * *', count: '0' }))).toEqual({ count: ['Must be at least 1.'] });
    expect(await fieldsOf(q({ crontab: '0 2 * * *', count: '51' }))).toEqual({ count: ['Must be at most 50.'] });
    expect(await fieldsOf(q({ crontab: '0 2 * * *', count: '2.5' }))).toEqual({ count: ['Must be a whole number.'] });
    expect(await fieldsOf(q({ crontab: '0 2 * * *', count: 'many' }))).toEqual({ count: ['Must be a whole number.'] });
    expect(await fieldsOf(q({ crontab: '0 2 * * *', after: 'tomorrow' }))).toEqual({ after: ['Must be an ISO 8601 date-time.'] });
    expect(await fieldsOf('/schedules/preview?crontab=0+2+*+*+*&crontab=0+3+*+*+*')).toEqual({ crontab: ['Give it once, as a string.'] });
    // Every invalid field at once.
    expect(Object.keys(await fieldsOf(q({ crontab: '0 2 * *', timezone: 'Nowhere', count: '99' }))).sort()).toEqual(['count', 'crontab', 'timezone']);
  });

  it('401 for anonymous callers and revoked tokens; read tokens may preview', async () => {
    const { admin } = await viewer();
    const anonymous = await get(q({ crontab: '0 2 * * *' }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
    const read = await tokenFor(admin, 'read');
    expect((await get(q({ crontab: '0 2 * * *' }), { token: read.token })).status).toBe(200);
    expect((await get(q({ crontab: '0 2 * * *' }), { token: 'bo_not_a_token' })).status).toBe(401);
  });
});
