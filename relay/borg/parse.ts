/**
 * Reading borg 1.2's output: `--log-json` lines on stderr into typed events, the `--json`
 * document on stdout into results, and exit codes into outcomes.
 *
 * stderr also carries lines that are not borg's JSON (ssh, tar, mysqldump, hooks): they become
 * `text` events. Lines our scripts write in borg's format carry name `borg-orchestrator`.
 */
import { EXIT } from './remote-script';

export type BorgEvent =
  | { type: 'log_message'; time: number | null; level: string; name: string; msgid: string | null; message: string; orchestrator: boolean }
  | { type: 'progress_message'; time: number | null; operation: number | null; msgid: string | null; message: string | null; finished: boolean }
  | {
      type: 'progress_percent';
      time: number | null;
      operation: number | null;
      msgid: string | null;
      message: string | null;
      current: number | null;
      total: number | null;
      finished: boolean;
    }
  | {
      type: 'archive_progress';
      time: number | null;
      originalSize: number;
      compressedSize: number;
      deduplicatedSize: number;
      nfiles: number;
      path: string | null;
      finished: boolean;
    }
  | { type: 'file_status'; status: string; path: string }
  | { type: 'question'; kind: string; message: string | null; msgid: string | null }
  | { type: 'unknown'; raw: Record<string, unknown> }
  | { type: 'text'; line: string };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** One stderr line (without its newline) as an event; never throws. */
export function parseLogLine(line: string): BorgEvent {
  const text = line.replace(/\r?\n$/, '');
  if (!text.startsWith('{')) return { type: 'text', line: text };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { type: 'text', line: text };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { type: 'text', line: text };
  const o = raw as Record<string, unknown>;
  const time = num(o.time);
  const finished = o.finished === true;
  switch (o.type) {
    case 'log_message':
      return {
        type: 'log_message',
        time,
        level: str(o.levelname) ?? 'INFO',
        name: str(o.name) ?? '',
        msgid: str(o.msgid),
        message: str(o.message) ?? '',
        orchestrator: o.name === 'borg-orchestrator',
      };
    case 'progress_message':
      return { type: 'progress_message', time, operation: num(o.operation), msgid: str(o.msgid), message: str(o.message), finished };
    case 'progress_percent':
      return { type: 'progress_percent', time, operation: num(o.operation), msgid: str(o.msgid), message: str(o.message), current: num(o.current), total: num(o.total), finished };
    case 'archive_progress':
      return {
        type: 'archive_progress',
        time,
        originalSize: num(o.original_size) ?? 0,
        compressedSize: num(o.compressed_size) ?? 0,
        deduplicatedSize: num(o.deduplicated_size) ?? 0,
        nfiles: num(o.nfiles) ?? 0,
        path: str(o.path),
        finished,
      };
    case 'file_status':
      if (typeof o.status === 'string' && typeof o.path === 'string') return { type: 'file_status', status: o.status, path: o.path };
      return { type: 'unknown', raw: o };
    default:
      if (typeof o.type === 'string' && o.type.startsWith('question_')) return { type: 'question', kind: o.type, message: str(o.message), msgid: str(o.msgid) };
      return { type: 'unknown', raw: o };
  }
}

export interface ArchiveStats {
  originalSize: number;
  compressedSize: number;
  deduplicatedSize: number;
  nfiles: number;
}

export interface CreateResult {
  archiveName: string;
  archiveId: string | null;
  stats: ArchiveStats;
  durationSeconds: number;
  start: string | null;
  end: string | null;
  repositoryId: string | null;
  repositoryLocation: string | null;
  encryption: string | null;
}

export class BorgOutputError extends Error {
  override name = 'BorgOutputError';
}

function jsonDocument(stdout: string, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new BorgOutputError(`borg's ${what} output is not one JSON document.`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new BorgOutputError(`borg's ${what} output is not a JSON object.`);
  return doc as Record<string, unknown>;
}

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The `--json` document of `borg create` / `borg import-tar`. */
export function parseCreateResult(stdout: string): CreateResult {
  const doc = jsonDocument(stdout, 'create --json');
  const archive = obj(doc.archive);
  const stats = obj(archive.stats);
  const name = str(archive.name);
  if (name === null) throw new BorgOutputError('borg create --json output has no archive name.');
  const need = (k: string): number => {
    const v = num(stats[k]);
    if (v === null) throw new BorgOutputError(`borg create --json output has no archive.stats.${k}.`);
    return v;
  };
  return {
    archiveName: name,
    archiveId: str(archive.id),
    stats: { originalSize: need('original_size'), compressedSize: need('compressed_size'), deduplicatedSize: need('deduplicated_size'), nfiles: need('nfiles') },
    durationSeconds: num(archive.duration) ?? 0,
    start: str(archive.start),
    end: str(archive.end),
    repositoryId: str(obj(doc.repository).id),
    repositoryLocation: str(obj(doc.repository).location),
    encryption: str(obj(doc.encryption).mode),
  };
}

export interface RepositoryInfo {
  repositoryId: string | null;
  location: string | null;
  encryption: string | null;
  /** Sum of the original sizes of all archives (cache stats total_size). */
  totalSize: number | null;
  /** The same, compressed (total_csize). */
  totalCompressedSize: number | null;
  /** Deduplicated, compressed: what the repository holds on disk (unique_csize). */
  uniqueCompressedSize: number | null;
}

/** The `--json` document of `borg info REPO`. */
export function parseRepositoryInfo(stdout: string): RepositoryInfo {
  const doc = jsonDocument(stdout, 'info --json');
  const stats = obj(obj(doc.cache).stats);
  return {
    repositoryId: str(obj(doc.repository).id),
    location: str(obj(doc.repository).location),
    encryption: str(obj(doc.encryption).mode),
    totalSize: num(stats.total_size),
    totalCompressedSize: num(stats.total_csize),
    uniqueCompressedSize: num(stats.unique_csize),
  };
}

/** The archives of `borg list --json REPO`: name, id and start time. */
export function parseArchiveList(stdout: string): { name: string; id: string | null; start: string | null }[] {
  const doc = jsonDocument(stdout, 'list --json');
  if (!Array.isArray(doc.archives)) throw new BorgOutputError('borg list --json output has no archives list.');
  return doc.archives.map((a) => {
    const o = obj(a);
    const name = str(o.name) ?? str(o.archive);
    if (name === null) throw new BorgOutputError('borg list --json output has an archive without a name.');
    return { name, id: str(o.id), start: str(o.start) ?? str(o.time) };
  });
}

export type ExitKind = 'ok' | 'warning' | 'error' | 'signal' | 'orchestrator' | 'shell';

export interface ExitOutcome {
  kind: ExitKind;
  /** Whether the archive (for a backup) was made: true for 0 and 1. */
  archiveCreated: boolean;
  /** For signals: the signal number. */
  signal?: number;
  message: string;
}

const ORCHESTRATOR_MESSAGES: Record<number, string> = {
  [EXIT.SECRET_MISSING]: 'a secret line was missing on stdin',
  [EXIT.PRE_HOOK_FAILED]: 'the pre_hook failed; the backup did not run',
  [EXIT.SOURCE_FAILED]: 'the data source failed; an archive, if made, may be incomplete',
  [EXIT.NOTHING_TO_BACK_UP]: 'nothing to back up was found on the host',
  [EXIT.SNAPSHOT_CLEANUP_FAILED]: 'backed up, but a VM snapshot could not be committed back',
};

/**
 * borg 1.2: 0 success, 1 warning (the archive is still made), 2 error; a process killed by
 * signal N shows as 128+N from a shell (or as N given separately). Our own codes are in EXIT;
 * 126/127 are the shell's "cannot execute" / "not found" (e.g. no borg on the host).
 */
export function classifyExit(code: number | null, signal?: string | number | null): ExitOutcome {
  if (code === null || signal) {
    return { kind: 'signal', archiveCreated: false, message: `killed by signal ${signal ?? 'unknown'}`, ...(typeof signal === 'number' ? { signal } : {}) };
  }
  if (code === 0) return { kind: 'ok', archiveCreated: true, message: 'success' };
  if (code === 1) return { kind: 'warning', archiveCreated: true, message: 'finished with warnings' };
  if (code === 2) return { kind: 'error', archiveCreated: false, message: 'error' };
  const own = ORCHESTRATOR_MESSAGES[code];
  if (own !== undefined) return { kind: 'orchestrator', archiveCreated: code === EXIT.SNAPSHOT_CLEANUP_FAILED, message: own };
  if (code === 126 || code === 127) return { kind: 'shell', archiveCreated: false, message: code === 127 ? 'command not found' : 'command not executable' };
  if (code > 128 && code < 128 + 65) return { kind: 'signal', archiveCreated: false, signal: code - 128, message: `killed by signal ${code - 128}` };
  return { kind: 'error', archiveCreated: false, message: `unexpected exit code ${code}` };
}

export type RepositoryProbe = 'ok' | 'absent' | 'not_a_repository' | 'wrong_passphrase' | 'no_passphrase' | 'already_exists' | 'locked' | 'unreachable' | 'error';

/**
 * The state of a repository from `borg info` (or `borg init`) exit code and log events: every
 * failure exits 2, the msgid of borg's ERROR lines says which.
 */
export function classifyRepositoryProbe(exitCode: number | null, events: readonly BorgEvent[]): RepositoryProbe {
  if (exitCode === 0) return 'ok';
  const ids = new Set(events.flatMap((e) => (e.type === 'log_message' && e.msgid ? [e.msgid] : [])));
  if (ids.has('PassphraseWrong')) return 'wrong_passphrase';
  if (ids.has('NoPassphraseFailure') || ids.has('PasscommandFailure')) return 'no_passphrase';
  if (ids.has('Repository.DoesNotExist')) return 'absent';
  if (ids.has('Repository.InvalidRepository') || ids.has('Repository.InvalidRepositoryConfig')) return 'not_a_repository';
  if (ids.has('Repository.AlreadyExists')) return 'already_exists';
  if (ids.has('LockTimeout') || ids.has('LockFailed') || ids.has('LockError')) return 'locked';
  if (ids.has('ConnectionClosed') || ids.has('ConnectionClosedWithHint') || ids.has('RemoteRepository.ConnectionClosed')) return 'unreachable';
  return 'error';
}

/** The last archive_progress event of a stream of events, for a progress display. */
export function lastArchiveProgress(events: readonly BorgEvent[]): Extract<BorgEvent, { type: 'archive_progress' }> | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'archive_progress') return e;
  }
  return null;
}
