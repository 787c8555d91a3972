/**
 * A running job's progress, live from its events socket. The socket would replay the whole
 * log from `after=0`, and an `after` beyond the stored lines would make it skip every line
 * up to that number (the edge sends only lines numbered above `after`), so the row first
 * asks how many lines are stored (`/stdout` with a one-line range answers `total_lines`)
 * and follows from a little before the end: enough for borg's latest progress line, which
 * it writes at most once a second.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { followJobEvents, ENDED_STATUSES } from '../../lib/job-events';
import type { Progress } from '../../lib/job-progress';
import type { Job, JobStatus, Page } from '../../lib/types';
import { progressAfter } from '../../lib/job-progress';

const TAIL_LINES = 50;

export type SocketState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'unavailable' | 'paused';

export interface LiveJob {
  progress: Progress | null;
  /** The status as the socket last said (newer than the list's, between polls). */
  status: JobStatus;
  socket: SocketState;
  /** For a backup: the original size of the last successful backup of the same client and policy, to estimate a fraction. */
  expectedBytes: number | null;
}

/** Follows `job` while `active` (the tab is visible); closes its socket on unmount or when inactive. */
export function useLiveJob(job: Job, active: boolean, onEnded: () => void): LiveJob {
  const [progress, setProgress] = useState<Progress | null>(null);
  const [status, setStatus] = useState<JobStatus>(job.status);
  const [socket, setSocket] = useState<SocketState>('connecting');
  const [expectedBytes, setExpectedBytes] = useState<number | null>(null);
  const ended = useRef(onEnded);
  ended.current = onEnded;

  useEffect(() => {
    if (!active) {
      setSocket('paused');
      return;
    }
    let cancelled = false;
    let follower: ReturnType<typeof followJobEvents> | null = null;
    (async () => {
      let total = 0;
      try {
        total = (await api<{ total_lines: number }>('GET', `/jobs/${job.id}/stdout?format=json&start_line=1&end_line=1`)).total_lines;
      } catch {
        /* no output yet or not readable: follow from the start */
      }
      if (cancelled) return;
      follower = followJobEvents(job.id, Math.max(0, total - TAIL_LINES), {
        onLines: (lines) => setProgress((prev) => progressAfter(prev, lines)),
        onHello: (e) => setStatus(e.status),
        onStatus: (e) => {
          setStatus(e.status);
          if (ENDED_STATUSES.includes(e.status)) ended.current();
        },
        onState: setSocket,
      });
    })();
    return () => {
      cancelled = true;
      follower?.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job.id, active]);

  useEffect(() => {
    if (job.type !== 'backup' || job.client === null || job.policy === null) return;
    let cancelled = false;
    const q = `?type=backup&status=successful&client=${job.client}&policy=${job.policy}&page_size=1`;
    api<Page<Job>>('GET', `/jobs${q}`)
      .then((p) => !cancelled && setExpectedBytes(p.results[0]?.original_size ?? null))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [job.id]);

  return { progress, status, socket, expectedBytes };
}

/** Whether the tab is visible: sockets of rows nobody can see are closed until it is again. */
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  useEffect(() => {
    const on = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  return visible;
}
