/**
 * What a job's log shows of a step's stderr: borg's `--log-json` lines made readable, other
 * programs' lines (ssh, tar, mysqldump, hooks) as they are.
 *
 * - log_message → `LEVEL: message` for WARNING and above, the message alone below.
 * - file_status → `A path` (borg's own `--list` format).
 * - archive_progress / progress_percent → the JSON line itself (the UI draws its progress bar
 *   from these), at most one a second per kind, plus the finishing one: borg emits them many
 *   times a second and the log is kept.
 * - progress_message (phase changes) → the message.
 * The events worth deciding on (ERROR messages with their msgid, the last archive progress) are
 * kept for the job's outcome.
 */
import { parseLogLine, type BorgEvent } from '../borg/parse';
import type { OutputSink } from './session';

export const PROGRESS_INTERVAL_MS = 1000;
const KEEP_EVENTS = 200;

export class BorgStderr {
  /** log_message events (last KEEP_EVENTS), for classifyRepositoryProbe and error summaries. */
  readonly events: BorgEvent[] = [];
  private lastProgress = new Map<string, number>();

  constructor(
    private readonly out: OutputSink,
    private readonly now: () => number = Date.now,
  ) {}

  line(text: string): void {
    const event = parseLogLine(text);
    switch (event.type) {
      case 'text':
        return this.out.line('stderr', event.line);
      case 'log_message':
        this.keep(event);
        return this.out.line('stderr', ['WARNING', 'ERROR', 'CRITICAL'].includes(event.level) ? `${event.level}: ${event.message}` : event.message);
      case 'file_status':
        return this.out.line('stderr', `${event.status} ${event.path}`);
      case 'archive_progress':
      case 'progress_percent': {
        const last = this.lastProgress.get(event.type) ?? 0;
        const t = this.now();
        if (!event.finished && t - last < PROGRESS_INTERVAL_MS) return;
        this.lastProgress.set(event.type, t);
        return this.out.line('stderr', text);
      }
      case 'progress_message':
        if (event.message) this.out.line('stderr', event.message);
        return;
      case 'question':
        this.keep(event);
        return this.out.line('stderr', `borg asked: ${event.message ?? event.kind} (answered no: jobs never prompt)`);
      case 'unknown':
        return this.out.line('stderr', text);
    }
  }

  /** The WARNING messages seen, newest last. */
  warnings(): string[] {
    return this.events.flatMap((e) => (e.type === 'log_message' && e.level === 'WARNING' ? [e.message] : []));
  }

  /** The ERROR (and CRITICAL) messages seen, newest last. */
  errors(): string[] {
    return this.events.flatMap((e) => (e.type === 'log_message' && (e.level === 'ERROR' || e.level === 'CRITICAL') ? [e.message] : []));
  }

  private keep(event: BorgEvent): void {
    this.events.push(event);
    if (this.events.length > KEEP_EVENTS) this.events.shift();
  }
}
