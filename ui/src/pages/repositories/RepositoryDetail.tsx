/** What is known about a repository: state, location, encryption and passphrase, sizes. */
import { EnabledBadge, ReadyBadge, Unusable } from '../../components/badges';
import { formatBytes } from '../../lib/format';
import { relayName } from '../relays/relay-select';
import { Ago } from '../../components/time';
import type { Relay } from '../relays/types';
import type { Repository } from './types';

export function RepositoryDetail({ repository: r, relays }: { repository: Repository; relays: Relay[] | null }) {
  return (
    <section class="card" aria-labelledby="repository-state-title">
      <h2 class="card-title" id="repository-state-title">State</h2>
      <p class="actions">
        <EnabledBadge enabled={r.enabled} /> <ReadyBadge ready={r.ready} />
      </p>
      <Unusable usable={r.usable} reasons={r.unusable_reasons} />
      <dl class="meta">
        <dt>Path</dt>
        <dd>
          <code>{r.path}</code>
        </dd>
        <dt>Relay</dt>
        <dd>
          <a href={`/relays/${r.relay}`}>{relayName(relays, r.relay)}</a>
        </dd>
        <dt>Encryption</dt>
        <dd>{r.encryption}</dd>
        <dt>Passphrase</dt>
        <dd>{r.encryption === 'none' ? 'none (not encrypted)' : r.has_passphrase ? 'set (sealed to the relay; never shown)' : 'missing: set one before use'}</dd>
        <dt>Original size</dt>
        <dd>{formatBytes(r.original_size)}</dd>
        <dt>Compressed size</dt>
        <dd>{formatBytes(r.compressed_size)}</dd>
        <dt>Deduplicated size</dt>
        <dd>{formatBytes(r.deduplicated_size)}</dd>
        <dt>Quota</dt>
        <dd>{r.quota_bytes === null ? 'none' : formatBytes(r.quota_bytes)}</dd>
        <dt>Append-only</dt>
        <dd>{r.append_only ? 'yes' : 'no'}</dd>
        <dt>Added</dt>
        <dd>
          <Ago iso={r.created} />
        </dd>
      </dl>
    </section>
  );
}
