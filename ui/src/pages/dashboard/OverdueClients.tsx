/** Clients whose last successful backup of a policy is older than its expected interval. */
import { formatDate, formatRelative } from '../../lib/format';
import type { DashClient } from './types';

export function OverdueClients({ clients, total, now }: { clients: DashClient[]; total: number; now: number }) {
  return (
    <section class="card dash-overdue" aria-labelledby="dash-overdue-h">
      <h2 id="dash-overdue-h">Overdue clients</h2>
      {clients.length === 0 ? (
        <p class="empty">No client is overdue: every client has a recent enough successful backup of each of its policies.</p>
      ) : (
        <ul class="dash-list">
          {clients.map((c) => (
            <li key={c.id} class="dash-overdue-client" data-client={c.id}>
              <a href={`/clients/${c.id}`}>
                <strong>{c.hostname}</strong>
              </a>
              <ul class="dash-overdue-policies">
                {c.backups
                  .filter((b) => b.overdue)
                  .map((b) => (
                    <li key={b.policy}>
                      <a href={`/policies/${b.policy}`}>{b.policy_name}</a>
                      {': '}
                      {b.last_success ? (
                        <>
                          last success <time dateTime={b.last_success} title={formatDate(b.last_success)}>{formatRelative(b.last_success, now)}</time>
                        </>
                      ) : (
                        'never backed up'
                      )}
                      <span class="hint"> (expected every {b.expected_interval_hours} h)</span>
                    </li>
                  ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {total > clients.length && (
        <p class="hint">
          Showing {clients.length} of {total}. <a href="/clients?overdue=true">All overdue clients</a>
        </p>
      )}
    </section>
  );
}
