/** A relay's state as badges: connected, paired, sealing key. */
import type { Relay } from './types';

export function ConnectedBadge({ relay }: { relay: Relay }) {
  return <span class={`badge ${relay.connected ? 'ok' : 'muted'}`}>{relay.connected ? 'connected' : 'disconnected'}</span>;
}

export function PairedBadge({ relay }: { relay: Relay }) {
  return <span class={`badge ${relay.paired ? 'ok' : 'warn'}`}>{relay.paired ? 'paired' : 'not paired'}</span>;
}

export function KeyBadge({ relay }: { relay: Relay }) {
  return (
    <span class={`badge ${relay.public_key ? 'ok' : 'warn'}`} title={relay.public_key ?? 'Secrets cannot be sealed to this relay until it is paired.'}>
      {relay.public_key ? 'key set' : 'no key'}
    </span>
  );
}
