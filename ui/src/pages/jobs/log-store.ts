/**
 * A job's output lines as they arrive, kept outside Preact state: 100,000+ lines in one
 * plain array, appended in place. Views subscribe and are told at most once per animation
 * frame (a `version` counter), however many `lines` messages came in meanwhile, so a fast
 * replay costs one render a frame, not one per message. Progress and the readiness curl
 * are picked up here as lines pass, so nothing ever rescans the whole log.
 */
import { useEffect, useState } from 'preact/hooks';
import type { OutputLine } from '../../lib/job-events';
import { advanceProgress, parseProgress, type Progress } from '../../lib/job-progress';

/** The curl the relay prints (a `system` line) when it could not mark the object ready itself. */
const READINESS_CURL = /^curl .*\/api\/v1\/ready\/\S+/;

export class LogStore {
  readonly lines: OutputLine[] = [];
  version = 0;
  progress: Progress | null = null;
  readinessCurl: string | null = null;
  private listeners = new Set<() => void>();
  private frame = 0;

  append(batch: readonly OutputLine[]) {
    for (const l of batch) {
      this.lines.push(l);
      // Cheap for ordinary lines: parseProgress looks at the first character first.
      const p = parseProgress(l.text);
      if (p) this.progress = advanceProgress(this.progress, p);
      if (l.stream === 'system' && l.text.startsWith('curl ') && READINESS_CURL.test(l.text)) this.readinessCurl = l.text;
    }
    this.schedule();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  dispose() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.listeners.clear();
  }

  private schedule() {
    if (this.frame) return;
    // In a hidden tab frames stop: lines keep arriving and one render follows on return.
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.version++;
      for (const fn of this.listeners) fn();
    });
  }
}

/** Re-renders the caller when the store has new lines (at most once a frame); returns the version. */
export function useLogVersion(store: LogStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    setVersion(store.version);
    return store.subscribe(() => setVersion(store.version));
  }, [store]);
  return version;
}
