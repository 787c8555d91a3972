/**
 * Progress from a job's output. The relay keeps borg's progress events as their JSON
 * (`--log-json`, at most one a second; relay/daemon/borg-output.ts): `archive_progress`
 * (bytes and files so far while creating an archive; borg does not know the total) and
 * `progress_percent` (current/total, e.g. while checking or extracting).
 */
export type Progress =
  | { kind: 'archive'; originalSize: number; deduplicatedSize: number; nfiles: number; path: string | null; finished: boolean }
  | { kind: 'percent'; current: number; total: number; message: string | null; finished: boolean };

/** The progress a line reports, or null for any other line (cheap: most lines are not JSON). */
export function parseProgress(text: string): Progress | null {
  // Not `"progress`: the types are `archive_progress` and `progress_percent`.
  if (text.charCodeAt(0) !== 123 /* { */ || !text.includes('progress')) return null;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  if (o.type === 'archive_progress') {
    return { kind: 'archive', originalSize: num(o.original_size), deduplicatedSize: num(o.deduplicated_size), nfiles: num(o.nfiles), path: typeof o.path === 'string' ? o.path : null, finished: o.finished === true };
  }
  if (o.type === 'progress_percent' && typeof o.total === 'number' && o.total > 0) {
    return { kind: 'percent', current: num(o.current), total: o.total, message: typeof o.message === 'string' ? o.message : null, finished: o.finished === true };
  }
  return null;
}

/**
 * The progress after one more event. borg's last archive_progress says only `finished`
 * (no sizes): it keeps the counts seen before, so "done" still says how much.
 */
export function advanceProgress(prev: Progress | null, next: Progress): Progress {
  if (next.finished && prev && prev.kind === next.kind && (next.kind !== 'archive' || next.originalSize === 0)) return { ...prev, finished: true };
  return next;
}

/** The progress after a batch of lines: the newest event in it (see advanceProgress), else `prev`. */
export function progressAfter(prev: Progress | null, lines: readonly { text: string }[]): Progress | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const p = parseProgress(lines[i]!.text);
    if (p) return advanceProgress(prev, p);
  }
  return prev;
}

/**
 * A fraction 0..1 for a bar, or null when unknown. An archive's total is not known to
 * borg; `expectedBytes` (e.g. the last successful backup's original size) gives an estimate.
 */
export function progressFraction(p: Progress | null, expectedBytes?: number | null): number | null {
  if (!p) return null;
  if (p.finished) return 1;
  if (p.kind === 'percent') return Math.min(1, p.current / p.total);
  if (expectedBytes && expectedBytes > 0) return Math.min(0.99, p.originalSize / expectedBytes);
  return null;
}
