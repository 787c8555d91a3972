/**
 * Follows one job's events socket (`/api/v1/jobs/{id}/events`, docs/api.md "Live output"):
 * replays the stored lines after `after`, then live lines and status changes. It acks
 * every `lines` message (the edge sends at most 8 unacked), resumes from the last line
 * received when the edge closes it as too slow (4008) or the connection drops, and stops
 * once the job has ended and every line up to the final `last_line` has arrived.
 */
import type { JobEvent } from '../../../shared/job-events';
import type { OutputLine } from '../../../shared/output';
import type { JobStatus } from './types';

export type { OutputLine };
export const ENDED_STATUSES: readonly JobStatus[] = ['successful', 'failed', 'error', 'canceled', 'lost'];

export interface JobEventHandlers {
  onHello?: (e: Extract<JobEvent, { type: 'hello' }>) => void;
  onLines?: (lines: OutputLine[]) => void;
  onStatus?: (e: Extract<JobEvent, { type: 'status' }>) => void;
  /** Connection state for the UI ("live", "reconnecting…", "ended"). */
  onState?: (state: 'connecting' | 'live' | 'reconnecting' | 'ended' | 'unavailable') => void;
}

export interface JobEventsFollower {
  close: () => void;
  /** The last line received so far. */
  lastLine: () => number;
}

export function followJobEvents(jobId: number, after: number, handlers: JobEventHandlers): JobEventsFollower {
  let last = after;
  let finalLine: number | null = null;
  let closed = false;
  let ws: WebSocket | null = null;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const done = () => finalLine !== null && last >= finalLine;
  const finish = () => {
    closed = true;
    handlers.onState?.('ended');
    ws?.close(1000);
    window.removeEventListener('online', retryNow);
    document.removeEventListener('visibilitychange', retryNow);
  };

  const connect = () => {
    if (closed) return;
    handlers.onState?.(retry ? 'reconnecting' : 'connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/jobs/${jobId}/events?after=${last}`;
    const socket = new WebSocket(url);
    ws = socket;
    socket.onmessage = (m) => {
      let msg: JobEvent;
      try {
        msg = JSON.parse(String(m.data)) as JobEvent;
      } catch {
        return;
      }
      if (msg.type === 'hello') {
        retry = 0;
        handlers.onState?.('live');
        handlers.onHello?.(msg);
        if (ENDED_STATUSES.includes(msg.status)) finalLine = msg.last_line;
      } else if (msg.type === 'lines' && msg.lines.length) {
        // Lines are consecutive; after a reconnect the edge starts exactly after `last`.
        const fresh = msg.lines.filter((l) => l.line > last);
        last = msg.lines[msg.lines.length - 1]!.line;
        socket.send(JSON.stringify({ type: 'ack', line: last }));
        if (fresh.length) handlers.onLines?.(fresh);
      } else if (msg.type === 'status') {
        handlers.onStatus?.(msg);
        // The final status may come before the last lines: it says how many there are.
        if (ENDED_STATUSES.includes(msg.status)) finalLine = msg.last_line;
      }
      if (done()) finish();
    };
    socket.onclose = (e) => {
      if (closed || ws !== socket) return;
      if (done()) return finish();
      // 4008: too far behind, resume at once. Other closes (network, Worker restart): back off.
      // A handshake refused (404 unknown job, 409 no relay) closes before any hello: after a few tries, give up.
      if (e.code === 4008) return connect();
      retry++;
      // Never give up (a laptop that slept, a Worker being deployed): back off to 30 s, and
      // say "unavailable" once it has lasted a while. The browser coming back online, or the
      // tab being shown again, retries at once.
      handlers.onState?.(retry > 6 ? 'unavailable' : 'reconnecting');
      timer = setTimeout(connect, Math.min(30_000, 500 * 2 ** retry) * (0.5 + Math.random() / 2));
    };
  };
  const retryNow = () => {
    if (closed || document.visibilityState !== 'visible' || !ws || ws.readyState !== WebSocket.CLOSED) return;
    clearTimeout(timer);
    connect();
  };
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', retryNow);
  connect();

  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      window.removeEventListener('online', retryNow);
      document.removeEventListener('visibilitychange', retryNow);
      ws?.close(1000);
    },
    lastLine: () => last,
  };
}
