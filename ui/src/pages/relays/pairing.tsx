/**
 * The one-time pairing command. The API returns the token once (on create and on
 * re-issue); it is handed from the create form to the relay's page in memory only, so a
 * reload does not show it again.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useConfirm } from '../../components/confirm';
import { formatDate } from '../../lib/format';
import { CopyBlock } from '../../components/copy';
import type { Pairing } from './types';

const handedOver = new Map<number, Pairing>();

/** Keeps a fresh pairing for the relay page that is shown next. */
export const handOverPairing = (relayId: number, p: Pairing) => handedOver.set(relayId, p);

/** The pairing handed over for this relay, once. */
export function takePairing(relayId: number): Pairing | null {
  const p = handedOver.get(relayId) ?? null;
  handedOver.delete(relayId);
  return p;
}

export function PairingPanel({ pairing, relayName }: { pairing: Pairing; relayName: string }) {
  return (
    <section class="card pairing" aria-labelledby="pairing-title">
      <h2 class="card-title" id="pairing-title">Pair relay {relayName}</h2>
      <p>
        Run this on the relay host, from the project's folder, before{' '}
        <time dateTime={pairing.expires}>{formatDate(pairing.expires)}</time>. The token works once and is <strong>not shown again</strong>: copy it now.
      </p>
      <CopyBlock id="pairing-command" label="Pairing command" text={pairing.command} />
      <p class="hint">
        Then start the relay with <code>npx tsx relay/cli.ts run</code>; this page shows it as paired and connected.
      </p>
    </section>
  );
}

/** Admin button: a new token (the old one stops working); returns it to show. */
export function IssuePairing({ relayId, relayName, onIssued }: { relayId: number; relayName: string; onIssued: (p: Pairing) => void }) {
  const [dialog, ask] = useConfirm();
  const notices = useNotices();
  const [busy, setBusy] = useState(false);
  const issue = async () => {
    const ok = await ask({
      title: `New pairing token for ${relayName}?`,
      body: 'Any earlier pairing token of this relay stops working. A relay that is already paired keeps its credential until it pairs again.',
      confirm: 'Issue token',
    });
    if (!ok) return;
    setBusy(true);
    try {
      onIssued(await api<Pairing>('POST', `/relays/${relayId}/pairing`));
      notices.success(`New pairing token for ${relayName} issued.`);
    } catch (e) {
      notices.error(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {dialog}
      <button type="button" class="secondary" onClick={issue} disabled={busy}>
        New pairing token
      </button>
    </>
  );
}
