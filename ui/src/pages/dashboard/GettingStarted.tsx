/**
 * A fresh install's next steps, in the order the objects depend on each other: a relay
 * runs borg, clients and repositories hang off a relay, a policy ties them to a schedule.
 * Shown while there is no client or no policy yet.
 */
import type { Counts, SetupState } from './load';

export function GettingStarted({ counts, setup, isAdmin }: { counts: Counts; setup: SetupState; isAdmin: boolean }) {
  const steps = [
    { done: setup.connectedRelays > 0, list: '/relays', create: '/relays', text: 'Pair a relay', why: 'it runs borg near your hosts' },
    { done: counts.clients > 0, list: '/clients', create: '/clients/new', text: 'Add a client', why: 'a host to back up' },
    { done: setup.repositories > 0, list: '/repositories', create: '/repositories/new', text: 'Add a repository', why: 'where archives are kept' },
    { done: setup.schedules > 0, list: '/schedules', create: '/schedules/new', text: 'Add a schedule', why: 'when backups run' },
    { done: counts.policies > 0, list: '/policies', create: '/policies/new', text: 'Create a policy', why: 'what to back up, from which clients, where and when' },
  ];
  const next = steps.find((s) => !s.done);
  return (
    <section class="card dash-start" aria-labelledby="dash-start-h">
      <h2 id="dash-start-h">{counts.clients === 0 ? 'No clients yet' : 'No policies yet'}</h2>
      <p>
        {isAdmin
          ? 'Set up your first backup in a few steps:'
          : 'Nothing is backed up yet. An admin sets up the first backup in these steps:'}
      </p>
      <ol class="dash-steps">
        {steps.map((s) => (
          <li key={s.text} class={s.done ? 'done' : s === next ? 'next' : ''}>
            <span class="dash-step-mark" aria-hidden="true">
              {s.done ? '✓' : ''}
            </span>
            {isAdmin && !s.done ? <a href={s.create}>{s.text}</a> : <a href={s.list}>{s.text}</a>}
            <span class="hint"> ({s.why})</span>
            {s.done && <span class="sr-only"> (done)</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
