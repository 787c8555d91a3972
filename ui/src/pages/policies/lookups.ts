/**
 * The schedules and repositories a policy can refer to, for the form's selects, the list's
 * filters and the names shown in rows. Loaded once per page, every page of them (500 a
 * request, the API's maximum), sorted by name.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, pageLinkPath } from '../../lib/api';
import type { Page } from '../../lib/types';
import type { RelayRef, RepositoryRef, ScheduleRef } from './types';

/** Every row of a list, following `next` links (bounded, in case of a runaway list). */
export async function loadAll<T>(path: string, maxPages = 20): Promise<T[]> {
  const out: T[] = [];
  let next: string | null = path;
  for (let i = 0; next && i < maxPages; i++) {
    const page: Page<T> = await api<Page<T>>('GET', next);
    out.push(...page.results);
    next = page.next ? pageLinkPath(page.next) : null;
  }
  return out;
}

export interface Lookups {
  schedules: ScheduleRef[];
  repositories: RepositoryRef[];
  scheduleName: (id: number) => string;
  repositoryName: (id: number) => string;
  repository: (id: number) => RepositoryRef | undefined;
  loaded: boolean;
  error: unknown;
}

export function useLookups(): Lookups {
  const [schedules, setSchedules] = useState<ScheduleRef[]>([]);
  const [repositories, setRepositories] = useState<RepositoryRef[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    Promise.all([loadAll<ScheduleRef>('/schedules?page_size=500&order_by=name'), loadAll<RepositoryRef>('/repositories?page_size=500&order_by=name')])
      .then(([s, r]) => {
        if (!live) return;
        setSchedules(s);
        setRepositories(r);
        setLoaded(true);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, []);
  const byId = <T extends { id: number }>(rows: T[], id: number) => rows.find((r) => r.id === id);
  return {
    schedules,
    repositories,
    scheduleName: (id) => byId(schedules, id)?.name ?? `#${id}`,
    repositoryName: (id) => byId(repositories, id)?.name ?? `#${id}`,
    repository: (id) => byId(repositories, id),
    loaded,
    error,
  };
}

/** The relay of a repository (its sealing key): fetched whenever the chosen repository changes, so a relay paired meanwhile is seen. */
export function useRelay(id: number | undefined): RelayRef | null {
  const [relay, setRelay] = useState<RelayRef | null>(null);
  useEffect(() => {
    setRelay(null);
    if (!id) return;
    let live = true;
    api<RelayRef>('GET', `/relays/${id}`)
      .then((r) => live && setRelay(r))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [id]);
  return relay;
}
