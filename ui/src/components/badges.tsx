/** Small status markers used by every list: job status, ready, enabled, unusable reasons. */
import type { JobStatus } from '../lib/types';

export function StatusBadge({ status }: { status: JobStatus | string }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {status}
    </span>
  );
}

export function ReadyBadge({ ready }: { ready: boolean }) {
  return <span class={`badge ${ready ? 'ok' : 'warn'}`}>{ready ? 'ready' : 'not ready'}</span>;
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return <span class={`badge ${enabled ? 'ok' : 'muted'}`}>{enabled ? 'enabled' : 'disabled'}</span>;
}

/** "Unusable because …" with every reason the API gave; nothing when usable. */
export function Unusable({ usable, reasons }: { usable?: boolean; reasons?: string[] }) {
  if (usable !== false) return null;
  return (
    <p class="unusable">
      <span class="badge err">unusable</span> because {reasons?.length ? reasons.join('; ') : 'of its dependencies'}
    </p>
  );
}
