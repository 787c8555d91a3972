/**
 * What the restore form needs to know before anything is sent: the archive (from a
 * backup job, or a repository and a name), the repository, and the clients that could
 * receive the files (those of the repository's relay: a restore runs through it).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage, qs } from '../../lib/api';
import type { Job, Page, Toggleable } from '../../lib/types';

export interface RepositoryRow extends Toggleable {
  name: string;
  relay: number;
}
export interface ClientRow extends Toggleable {
  hostname: string;
  relay: number;
}

/** A job by id (null: none asked for); `error` when it cannot be read. */
export function useSourceJob(jobId: number | null) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setJob(null);
    setError(null);
    if (jobId === null) return;
    api<Job>('GET', `/jobs/${jobId}`).then(setJob, (e: unknown) => setError(errorMessage(e)));
  }, [jobId]);
  return { job, error };
}

/** Every repository (for the picker when no backup job names one). */
export function useRepositories(wanted: boolean) {
  const [list, setList] = useState<RepositoryRow[] | null>(null);
  useEffect(() => {
    if (!wanted) return;
    api<Page<RepositoryRow>>('GET', `/repositories${qs({ page_size: 500, order_by: 'name' })}`).then(
      (p) => setList(p.results),
      () => setList([]),
    );
  }, [wanted]);
  return list;
}

export function useRepository(id: number | null) {
  const [repo, setRepo] = useState<RepositoryRow | null>(null);
  useEffect(() => {
    setRepo(null);
    if (id === null) return;
    api<RepositoryRow>('GET', `/repositories/${id}`).then(setRepo, () => setRepo(null));
  }, [id]);
  return repo;
}

/** The clients on a relay, by hostname. */
export function useRelayClients(relay: number | null) {
  const [list, setList] = useState<ClientRow[] | null>(null);
  useEffect(() => {
    setList(null);
    if (relay === null) return;
    api<Page<ClientRow>>('GET', `/clients${qs({ relay, page_size: 500, order_by: 'hostname' })}`).then(
      (p) => setList(p.results),
      () => setList([]),
    );
  }, [relay]);
  return list;
}
