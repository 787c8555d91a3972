/** Check (operator): `borg check` of the repository, optionally reading every data chunk. */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import type { Job } from '../../lib/types';
import { Field } from '../../components/form';

export function CheckAction({ id, name }: { id: number; name: string }) {
  const notices = useNotices();
  const [verify, setVerify] = useState(false);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const check = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await api<{ job: Job }>('POST', `/repositories/${id}/check`, { verify_data: verify });
      setJob(r.job);
      notices.success(`Check job ${r.job.id} created for repository ${name}.`, { href: `/jobs/${r.job.id}`, label: 'Open the job' });
    } catch (err) {
      // 409 names why the repository cannot be checked (disabled, not prepared, no passphrase).
      notices.error(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="check" onSubmit={check} aria-label="Check repository">
      <Field label="Verify every data chunk (slow: reads the whole repository)" name="verify_data" error={null}>
        <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.currentTarget.checked)} />
      </Field>
      <button type="submit" class="secondary" disabled={busy}>
        Check
      </button>
      {job && (
        <p class="action-result" role="status">
          <a href={`/jobs/${job.id}`}>Check job {job.id}</a> is {job.status}.
        </p>
      )}
    </form>
  );
}
