/**
 * borg's progress in a running job's lines. lib/job-progress's parseProgress skips any
 * line without `"progress` as a quick pre-check, and borg writes `"type": "archive_progress"`
 * (no quote before "progress"), so it finds only `progress_percent`; archive progress is
 * parsed here until that check is fixed there (see the dashboard's report).
 */
import { parseProgress, type Progress } from '../../lib/job-progress';

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function lineProgress(text: string): Progress | null {
  const shared = parseProgress(text);
  if (shared || text.charCodeAt(0) !== 123 /* { */ || !text.includes('archive_progress')) return shared;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (o.type !== 'archive_progress') return null;
  return { kind: 'archive', originalSize: num(o.original_size), deduplicatedSize: num(o.deduplicated_size), nfiles: num(o.nfiles), path: typeof o.path === 'string' ? o.path : null, finished: o.finished === true };
}

/**
 * The progress after a batch of lines: the newest one in it, else `prev`. borg's last
 * archive_progress says only `finished` (no sizes): it keeps the sizes seen before.
 */
export function nextProgress(prev: Progress | null, lines: readonly { text: string }[]): Progress | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const p = lineProgress(lines[i]!.text);
    if (!p) continue;
    if (p.kind === 'archive' && p.finished && p.originalSize === 0 && prev?.kind === 'archive') return { ...prev, finished: true };
    return p;
  }
  return prev;
}
