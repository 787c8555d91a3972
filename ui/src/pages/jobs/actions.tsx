/**
 * What can be done with a job: cancel it (asks first), relaunch it (then shows the new
 * job), download its log, restore from it (a successful backup). Operators only for the
 * writes; the API refuses them to viewers anyway.
 */
import { CopyBlock } from '../../components/copy';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import type { Job } from '../../lib/types';
import { useConfirm } from '../../components/confirm';
import { isActive, typeLabel } from './job-format';

export function JobActions({ job, onChange }: { job: Job; onChange: (j: Job) => void }) {
  const operator = useSession().can('operator');
  const notices = useNotices();
  const { route } = useLocation();
  const [dialog, ask] = useConfirm();
  const [busy, setBusy] = useState(false);
  const active = isActive(job.status);

  const cancel = async () => {
    const started = job.status === 'starting' || job.status === 'running';
    const ok = await ask({
      title: `Cancel job #${job.id}?`,
      body: started ? <p>The relay stops the running {typeLabel(job.type).toLowerCase()}; what it wrote so far stays.</p> : <p>It has not started: it ends now, with the jobs that wait for it.</p>,
      confirm: 'Cancel the job',
      danger: true,
    });
    if (!ok) return;
    setBusy(true);
    try {
      const updated = await api<Job>('POST', `/jobs/${job.id}/cancel`);
      onChange(updated);
      notices.success(updated.status === 'canceled' ? `Job #${job.id} canceled.` : `Cancel requested: the relay is stopping job #${job.id}.`);
    } catch (err) {
      notices.error(err);
    } finally {
      setBusy(false);
    }
  };

  const relaunch = async () => {
    setBusy(true);
    try {
      const { jobs } = await api<{ jobs: Job[] }>('POST', `/jobs/${job.id}/relaunch`);
      const again = jobs.find((j) => j.type === job.type) ?? jobs[0]!;
      notices.success(`Relaunched as job #${again.id}${jobs.length > 1 ? ` (with ${jobs.length - 1} more job${jobs.length > 2 ? 's' : ''} of its chain)` : ''}.`);
      route(`/jobs/${again.id}`);
    } catch (err) {
      notices.error(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {operator && active && (
        <button type="button" class="danger" onClick={cancel} disabled={busy || job.cancel_requested}>
          {job.cancel_requested ? 'Cancel requested' : 'Cancel'}
        </button>
      )}
      {operator && !active && (
        <button type="button" onClick={relaunch} disabled={busy}>
          Relaunch
        </button>
      )}
      {operator && job.type === 'backup' && job.status === 'successful' && (
        <a class="button secondary" href={`/restore?job=${job.id}`}>
          Restore…
        </a>
      )}
      {/* `download`: the router leaves the link to the browser, which saves the file. */}
      <a class="button secondary" href={`/api/v1/jobs/${job.id}/stdout?format=txt&download=true`} download={`job-${job.id}.txt`}>
        Download log
      </a>
      {dialog}
    </>
  );
}

/** The one-time readiness curl the relay printed when it could not mark the object ready itself. */
export function ReadinessCurl({ curl, kind }: { curl: string; kind: string }) {
  return (
    <section class="card readiness" aria-labelledby="readiness-title">
      <h2 id="readiness-title">Mark the {kind} ready</h2>
      <p>The relay could not report for the {kind}. Run this once on the {kind === 'client' ? 'client' : 'repository host'} (single use, valid 24 hours):</p>
      <CopyBlock id="readiness-curl" label="Readiness command" text={curl} />
    </section>
  );
}
