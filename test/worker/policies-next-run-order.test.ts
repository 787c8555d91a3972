/**
 * GET /policies?order_by=next_run: the dashboard's upcoming runs. Soonest first across
 * keyset pages (both directions), descending too, with the usual filters; policies whose
 * crontab never runs again (next_run null) are left out, so the order stays total.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { get } from './helpers';
import { buildWorld, create } from './fixtures';

describe('policies ordered by next_run', () => {
  it('lists the soonest runs first, pages by cursor and leaves out policies that never run again', async () => {
    const w = await buildWorld();
    const base = { type: 'rootfs', repository: w.repositoryId, clients: [w.clientId] };
    // Crontabs whose next runs are in a known order whatever the current time: each
    // schedule runs once a year on a different day, so the soonest depends only on today.
    const ids: number[] = [];
    for (const [i, day] of ['1', '2', '3', '4'].entries()) {
      const s = await create('/schedules', { name: `yearly-${i}`, crontab: `0 0 ${day} 1 *`, timezone: 'UTC' }, w.admin);
      ids.push((await create('/policies', { ...base, name: `p${i}`, schedule: s.id }, w.admin)).id);
    }
    // A policy without a next run (as when its crontab never runs again).
    await env.DB.prepare('UPDATE policies SET next_run = NULL WHERE id = ?').bind(ids[3]).run();

    const all = await get('/policies?order_by=next_run&page_size=500', w.admin);
    expect(all.status, all.text).toBe(200);
    const runs = all.body.results.map((p: { next_run: string }) => p.next_run);
    expect(runs.every((r: string | null) => typeof r === 'string')).toBe(true);
    expect([...runs].sort()).toEqual(runs);
    expect(all.body.results.map((p: { id: number }) => p.id)).not.toContain(ids[3]);
    // buildWorld's policy and the first three of ours.
    expect(all.body.count).toBe(4);

    // Page by page, forwards then back: the same order, no row lost or repeated.
    const seen: number[] = [];
    let page = await get('/policies?order_by=next_run&page_size=1', w.admin);
    for (;;) {
      seen.push(...page.body.results.map((p: { id: number }) => p.id));
      if (!page.body.next) break;
      page = await get(new URL(page.body.next).pathname.replace('/api/v1', '') + new URL(page.body.next).search, w.admin);
    }
    expect(seen).toEqual(all.body.results.map((p: { id: number }) => p.id));
    const previous = await get(new URL(page.body.previous).pathname.replace('/api/v1', '') + new URL(page.body.previous).search, w.admin);
    expect(previous.body.results.map((p: { id: number }) => p.id)).toEqual([seen[seen.length - 2]]);

    const desc = await get('/policies?order_by=-next_run&page_size=500', w.admin);
    expect(desc.body.results.map((p: { id: number }) => p.id)).toEqual([...seen].reverse());

    // With a filter (the dashboard asks for enabled ones).
    await env.DB.prepare('UPDATE policies SET enabled = 0 WHERE id = ?').bind(ids[0]).run();
    const enabled = await get('/policies?order_by=next_run&enabled=true', w.admin);
    expect(enabled.body.results.map((p: { id: number }) => p.id)).toEqual(seen.filter((id) => id !== ids[0]));
  });

  it('names next_run among the allowed orderings', async () => {
    const w = await buildWorld();
    const bad = await get('/policies?order_by=schedule', w.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.order_by[0]).toMatch(/next_run, -next_run/);
  });
});
