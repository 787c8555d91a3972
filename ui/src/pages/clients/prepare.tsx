/**
 * Prepare (operator) for a client or a repository: creates the prepare job and shows,
 * once, the readiness curl that lets the host report itself ready when the relay cannot.
 * Used by the client and the repository pages.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { formatDate } from '../../lib/format';
import { useNotices } from '../../lib/notices';
import type { Job } from '../../lib/types';
import { CopyBlock } from '../../components/copy';

interface Prepared {
  job: Job;
  readiness: { url: string; curl: string; expires: string };
}

export function PrepareAction({ endpoint, id, what, onDone }: { endpoint: '/clients' | '/repositories'; id: number; what: string; onDone?: () => void }) {
  const notices = useNotices();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Prepared | null>(null);
  const prepare = async () => {
    setBusy(true);
    try {
      const r = await api<Prepared>('POST', `${endpoint}/${id}/prepare`);
      setResult(r);
      notices.success(`Prepare job ${r.job.id} created for ${what}.`, { href: `/jobs/${r.job.id}`, label: 'Open the job' });
      onDone?.();
    } catch (e) {
      // 409: disabled, no passphrase, relay disabled, a prepare already active.
      notices.error(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="prepare">
      <button type="button" onClick={prepare} disabled={busy}>
        Prepare
      </button>
      {result && (
        <div class="action-result" role="region" aria-label="Prepare job">
          <p>
            <a href={`/jobs/${result.job.id}`}>Prepare job {result.job.id}</a> is {result.job.status}. The relay will prepare {what} when it picks the job up.
          </p>
          <p>
            If the relay cannot report back, run this on the host once it is prepared (valid once, until{' '}
            <time dateTime={result.readiness.expires}>{formatDate(result.readiness.expires)}</time>; not shown again):
          </p>
          <CopyBlock id="readiness-curl" label="Readiness command" text={result.readiness.curl} />
        </div>
      )}
    </div>
  );
}
