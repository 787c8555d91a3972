/** What is known about a client: state, where it is reached, what the relay found, and its backups per policy. */
import { EnabledBadge, ReadyBadge, Unusable } from '../../components/badges';
import { relayName } from '../relays/relay-select';
import { Ago } from '../../components/time';
import type { Relay } from '../relays/types';
import type { Client } from './types';

export function ClientDetail({ client: c, relays }: { client: Client; relays: Relay[] | null }) {
  return (
    <>
      <section class="card" aria-labelledby="client-state-title">
        <h2 class="card-title" id="client-state-title">State</h2>
        <p class="actions">
          <EnabledBadge enabled={c.enabled} /> <ReadyBadge ready={c.ready} />
          {c.overdue && <span class="badge err">overdue</span>}
          {c.mark_as_to_update && <span class="badge warn">to prepare again</span>}
        </p>
        <Unusable usable={c.usable} reasons={c.unusable_reasons} />
        <dl class="meta">
          <dt>Address</dt>
          <dd>
            <code>
              {c.ssh_user}@{c.hostname}:{c.port}
            </code>
          </dd>
          <dt>Relay</dt>
          <dd>
            <a href={`/relays/${c.relay}`}>{relayName(relays, c.relay)}</a>
          </dd>
          <dt>IP address</dt>
          <dd>{c.ip ?? '— (known once prepared)'}</dd>
          <dt>Borg version</dt>
          <dd>{c.borg_version ?? '— (known once prepared)'}</dd>
          <dt>Host key</dt>
          <dd>{c.host_key_fingerprint ? <code>{c.host_key_fingerprint}</code> : 'not pinned yet (pinned on the next connection)'}</dd>
          <dt>Bandwidth limit</dt>
          <dd>{c.bandwidth_limit === null ? 'none' : `${c.bandwidth_limit} KiB/s`}</dd>
          <dt>Behind a firewall</dt>
          <dd>{c.behind_firewall ? 'yes (push backups use a reverse tunnel)' : 'no'}</dd>
          <dt>Added</dt>
          <dd>
            <Ago iso={c.created} />
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="client-backups-title">
        <h2 class="card-title" id="client-backups-title">Backups per policy</h2>
        {c.backups.length === 0 ? (
          <p class="empty">This client is in no enabled policy with an enabled schedule.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Policy</th>
                  <th>Last success</th>
                  <th>Expected every</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {c.backups.map((b) => (
                  <tr key={b.policy}>
                    <td data-label="Policy">
                      <a href={`/policies/${b.policy}`}>{b.policy_name}</a>
                    </td>
                    <td data-label="Last success">
                      <Ago iso={b.last_success} />
                    </td>
                    <td data-label="Expected every">{b.expected_interval_hours} h</td>
                    <td data-label="State">{b.overdue ? <span class="badge err">overdue</span> : <span class="badge ok">on time</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
