/**
 * The progress bar of a running job, from borg's progress lines as they arrive (the
 * relay keeps them as JSON, at most one a second). Borg knows the total only for
 * `progress_percent`; while creating an archive it reports bytes and files so far, and
 * the last successful backup of the same client and policy gives an estimate.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../../lib/api';
import { formatBytes } from '../../lib/format';
import { progressFraction, type Progress } from '../../lib/job-progress';
import type { Job, Page } from '../../lib/types';
import { isActive } from './job-format';

/** The original size of the last successful backup of the job's client and policy (not this job), or null. */
export function useExpectedBytes(job: Job): number | null {
  const [bytes, setBytes] = useState<number | null>(null);
  useEffect(() => {
    if (job.type !== 'backup' || job.client === null || job.policy === null) return;
    let live = true;
    api<Page<Job>>('GET', `/jobs${qs({ type: 'backup', status: 'successful', client: job.client, policy: job.policy, page_size: 2 })}`)
      .then((p) => live && setBytes(p.results.find((j) => j.id !== job.id && j.original_size)?.original_size ?? null))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [job.id, job.client, job.policy, job.type]);
  return bytes;
}

function describe(p: Progress | null, fraction: number | null, expected: number | null, job: Job): string {
  const active = isActive(job.status);
  // Once a backup has ended its record has the archive's final numbers (borg's last report may be a second old).
  if (!active && job.type === 'backup' && job.original_size !== null) {
    const files = job.file_count ?? 0;
    return `${job.status === 'successful' ? 'Done' : 'Ended'}: ${formatBytes(job.original_size)} read, ${files.toLocaleString()} file${files === 1 ? '' : 's'}`;
  }
  if (!p) return active ? 'Waiting for the first progress report…' : 'No progress was reported.';
  if (p.kind === 'percent') {
    const pct = `${Math.round((p.current / p.total) * 100)} %`;
    return p.finished ? `Done${p.message ? `: ${p.message}` : ''}` : `${pct}${p.message ? ` · ${p.message}` : ''}`;
  }
  const sofar = `${formatBytes(p.originalSize)} read, ${p.nfiles.toLocaleString()} file${p.nfiles === 1 ? '' : 's'}`;
  if (p.finished) return `Done: ${sofar}`;
  if (fraction !== null && expected) return `${sofar} · about ${Math.round(fraction * 100)} % of the last backup (${formatBytes(expected)})`;
  return `${sofar} (the total is not known before the end)`;
}

export function JobProgress({ progress, expected, job }: { progress: Progress | null; expected: number | null; job: Job }) {
  const fraction = job.status === 'successful' ? 1 : progressFraction(progress, expected);
  const text = describe(progress, fraction, expected, job);
  return (
    <div class="job-progress">
      <label for="job-progress-bar">
        Progress: <span class="job-progress-text">{text}</span>
      </label>
      {/* Without a value the bar is indeterminate: borg has not said how far it is. Two
          elements, because a value once set cannot be taken off by re-rendering. */}
      {fraction === null ? (
        <progress key="indeterminate" id="job-progress-bar" aria-valuetext={text}>
          {text}
        </progress>
      ) : (
        <progress key="determinate" id="job-progress-bar" max={1} value={fraction} aria-valuetext={text}>
          {text}
        </progress>
      )}
      {/* Always one line, so the log below never moves when a path appears. */}
      <p class="hint mono job-progress-path">{progress?.kind === 'archive' && !progress.finished && progress.path ? progress.path : '\u00a0'}</p>
    </div>
  );
}
