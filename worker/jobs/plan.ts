/**
 * What a launch creates: a pure decision, unit-tested without a runtime.
 *
 * Per client: [prepare_client] → backup → [catalog] → [prune]; one
 * [prepare_repository] before every client's chain when the repository is not
 * ready; one [compact] after all prunes. A job with nothing to wait for starts
 * `pending`; the others `waiting` until what they depend on has ended.
 */
import type { JobType, LaunchType, PolicyType } from '../../shared/domain';

export interface PlanClient {
  id: number;
  hostname: string;
  ready: boolean;
  markAsToUpdate: boolean;
}

export interface PlanInput {
  policy: { id: number; type: PolicyType; catalogEnabled: boolean; pruneEnabled: boolean; hasRetention: boolean };
  repository: { id: number; ready: boolean };
  relayId: number;
  clients: PlanClient[];
  settings: { catalogEnabled: boolean; autoPrune: boolean; autoCompact: boolean };
  launchType: LaunchType;
  now: Date;
  /** 1 for a first launch; a relaunch passes the next attempt, which suffixes archive names. */
  attempt?: number;
  /** A relaunch of one client's backup keeps its archive name (with the attempt suffix). */
  archiveName?: string;
}

export interface PlannedJob {
  type: JobType;
  policyId: number;
  clientId: number | null;
  repositoryId: number;
  relayId: number;
  status: 'pending' | 'waiting';
  launchType: LaunchType;
  attempt: number;
  archiveName: string | null;
  /** Indexes into the plan of the jobs this one waits for. */
  dependsOn: number[];
  /** Index into the plan of the backup this job belongs to. */
  master: number | null;
}

/** Characters borg and shells treat specially never reach an archive name. */
function archiveSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The part of archive names shared by one policy type and host: what prune may touch. */
export function archivePrefix(type: PolicyType, hostname: string): string {
  return `${type}-${archiveSafe(hostname)}-`;
}

/** `{type}-{hostname}-{YYYY-MM-DD_HH-MM}` in UTC, suffixed `-r{attempt}` for a retry. */
export function archiveName(type: PolicyType, hostname: string, at: Date, attempt = 1): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getUTCFullYear()}-${p(at.getUTCMonth() + 1)}-${p(at.getUTCDate())}_${p(at.getUTCHours())}-${p(at.getUTCMinutes())}`;
  return `${archivePrefix(type, hostname)}${stamp}${attempt > 1 ? `-r${attempt}` : ''}`;
}

export function planLaunch(input: PlanInput): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  const attempt = input.attempt ?? 1;
  const add = (job: Omit<PlannedJob, 'policyId' | 'repositoryId' | 'relayId' | 'status' | 'launchType' | 'attempt'>, launchType: LaunchType = input.launchType) => {
    jobs.push({
      ...job,
      policyId: input.policy.id,
      repositoryId: input.repository.id,
      relayId: input.relayId,
      status: job.dependsOn.length ? 'waiting' : 'pending',
      launchType,
      attempt: job.type === 'backup' ? attempt : 1,
    });
    return jobs.length - 1;
  };

  const prepareRepo = input.repository.ready
    ? null
    : add({ type: 'prepare_repository', clientId: null, archiveName: null, dependsOn: [], master: null }, 'dependency');

  const prunes: number[] = [];
  for (const client of input.clients) {
    const before: number[] = prepareRepo === null ? [] : [prepareRepo];
    if (!client.ready || client.markAsToUpdate) {
      before.splice(0, before.length, add({ type: 'prepare_client', clientId: client.id, archiveName: null, dependsOn: before.slice(), master: null }, 'dependency'));
    }
    const backup = add({
      type: 'backup',
      clientId: client.id,
      archiveName: input.archiveName ?? archiveName(input.policy.type, client.hostname, input.now, attempt),
      dependsOn: before,
      master: null,
    });
    let last = backup;
    if (input.policy.catalogEnabled && input.settings.catalogEnabled) {
      last = add({ type: 'catalog', clientId: client.id, archiveName: jobs[backup]!.archiveName, dependsOn: [backup], master: backup }, 'dependency');
    }
    if (input.policy.pruneEnabled && input.policy.hasRetention && input.settings.autoPrune) {
      prunes.push(add({ type: 'prune', clientId: client.id, archiveName: null, dependsOn: [last], master: backup }, 'dependency'));
    }
  }
  if (prunes.length && input.settings.autoCompact) {
    add({ type: 'compact', clientId: null, archiveName: null, dependsOn: prunes, master: null }, 'dependency');
  }
  return jobs;
}

/** The settings a launch plan depends on, from their stored values (absent or not false = on). */
export function planSettings(s: Record<string, unknown>): PlanInput['settings'] {
  return { catalogEnabled: s.catalog_enabled !== false, autoPrune: s.auto_prune !== false, autoCompact: s.auto_compact !== false };
}

/** Archive names hold their launch minute: only backups created this recently can clash with a new one. */
export const RECENT_NAMES_MS = 5 * 60_000;

/**
 * Archive names are unique in a repository: borg refuses to create one that exists. Two
 * policies of the same type for the same host on one repository, launched in the same
 * minute, (or two clients of one host on different ports) would get the same name, so
 * the later one gets `.2`, `.3`, … (`taken`: the names already used in the repository,
 * updated here). A backup's catalog job follows its backup's name.
 */
export function deduplicateArchiveNames(plan: PlannedJob[], taken: Set<string>): void {
  plan.forEach((job, index) => {
    if (job.type !== 'backup' || job.archiveName === null) return;
    let name = job.archiveName;
    for (let n = 2; taken.has(name); n++) name = `${job.archiveName}.${n}`;
    taken.add(name);
    if (name === job.archiveName) return;
    job.archiveName = name;
    for (const other of plan) if (other.master === index && other.archiveName !== null) other.archiveName = name;
  });
}
