import { describe, expect, it } from 'vitest';
import { dependencyReason, dispatchOrder, launchRankSql, planDispatch, type DispatchInput, type QueuedJob } from './waiting';

const job = (id: number, clientId: number | null, repositoryId: number | null, explanation: string | null = null): QueuedJob => ({ id, clientId, repositoryId, explanation });

const input = (over: Partial<DispatchInput> = {}): DispatchInput => ({
  relay: { id: 1, name: 'lan', connected: true },
  limits: { relay: 4, global: 16 },
  queue: [],
  active: [],
  ...over,
});

describe('dispatchOrder', () => {
  it('is oldest first; at equal age manual and relaunch, then scheduled, then dependency; then id', () => {
    const jobs = [
      { id: 5, created: 2000, launchType: 'manual' as const },
      { id: 4, created: 1000, launchType: 'dependency' as const },
      { id: 3, created: 1000, launchType: 'scheduled' as const },
      { id: 2, created: 1000, launchType: 'relaunch' as const },
      { id: 6, created: 1000, launchType: 'manual' as const },
      { id: 1, created: 3000, launchType: 'manual' as const },
    ];
    expect(jobs.sort(dispatchOrder).map((j) => j.id)).toEqual([2, 6, 3, 4, 5, 1]);
  });

  it('has the same ranks in SQL', () => {
    expect(launchRankSql('launch_type')).toBe("CASE launch_type WHEN 'manual' THEN 0 WHEN 'relaunch' THEN 0 WHEN 'scheduled' THEN 1 WHEN 'dependency' THEN 2 ELSE 9 END");
  });
});

describe('planDispatch', () => {
  it('offers in order, one job per client and per repository, skipping blocked jobs', () => {
    const plan = planDispatch(input({ queue: [job(10, 1, 100), job(11, 2, 100), job(12, 1, 101), job(13, 3, 102)], active: [{ id: 9, relayId: 1, clientId: 3, repositoryId: 103 }] }));
    expect(plan.offers.map((j) => j.id)).toEqual([10]);
    expect(Object.fromEntries(plan.waiting)).toEqual({
      11: 'waiting: repository busy with job 10',
      12: 'waiting: client busy with job 10',
      13: 'waiting: client busy with job 9',
    });
    expect(plan.recheck).toBe(false);
  });

  it('stops at the relay limit, then at the global limit, and says which', () => {
    const queue = [job(10, 1, 100), job(11, 2, 101), job(12, 3, 102)];
    const relay = planDispatch(input({ limits: { relay: 2, global: 16 }, queue, active: [{ id: 9, relayId: 1, clientId: 9, repositoryId: 109 }] }));
    expect(relay.offers.map((j) => j.id)).toEqual([10]);
    expect(relay.waiting.get(11)).toBe('waiting: relay limit of 2 running jobs reached');
    expect(relay.recheck).toBe(false);
    const global = planDispatch(input({ limits: { relay: 4, global: 1 }, queue, active: [{ id: 9, relayId: 2, clientId: 9, repositoryId: 109 }] }));
    expect(global.offers).toEqual([]);
    expect(global.waiting.get(10)).toBe('waiting: global limit of 1 running job reached');
    // Nothing this relay does frees another relay's slot: it looks again by itself.
    expect(global.recheck).toBe(true);
  });

  it('a busy client or repository is named before a limit', () => {
    const plan = planDispatch(input({ limits: { relay: 1, global: 16 }, queue: [job(10, 1, 100), job(11, 2, 101)], active: [{ id: 9, relayId: 1, clientId: 1, repositoryId: 109 }] }));
    expect(plan.waiting.get(10)).toBe('waiting: client busy with job 9');
    expect(plan.waiting.get(11)).toBe('waiting: relay limit of 1 running job reached');
  });

  it('offers nothing while the relay is not connected, and says so', () => {
    const plan = planDispatch(input({ relay: { id: 1, name: 'lan', connected: false }, queue: [job(10, 1, 100)] }));
    expect(plan.offers).toEqual([]);
    expect(plan.waiting.get(10)).toBe('waiting: relay lan is not connected');
  });

  it('reports only the reasons that changed', () => {
    const plan = planDispatch(input({ queue: [job(10, 1, 100), job(11, 2, 100, 'waiting: repository busy with job 10'), job(12, 3, 100, 'waiting: relay limit of 4 running jobs reached')] }));
    expect(plan.changed).toEqual([{ id: 12, reason: 'waiting: repository busy with job 10' }]);
  });
});

describe('dependencyReason', () => {
  it('names up to three jobs it waits for', () => {
    expect(dependencyReason([])).toBeNull();
    expect(dependencyReason([{ id: 12, type: 'prepare_client' }])).toBe('waiting for job 12 (prepare_client)');
    expect(dependencyReason([{ id: 3, type: 'prune' }, { id: 6, type: 'prune' }])).toBe('waiting for jobs 3 (prune) and 6 (prune)');
    const five = [3, 6, 9, 12, 15].map((id) => ({ id, type: 'prune' as const }));
    expect(dependencyReason(five)).toBe('waiting for jobs 3 (prune), 6 (prune), 9 (prune) and 2 more');
  });
});
