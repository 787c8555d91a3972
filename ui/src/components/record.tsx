/**
 * What every object page (/clients/:id, /repositories/:id, /relays/:id) shares: load the
 * object named by the route (or nothing for `new`), show loading and not-found states,
 * and delete with a confirmation, the API's refusal (409: still used by …) as a notice.
 */
import type { ComponentChildren } from 'preact';
import { useLocation, useRoute } from 'preact-iso';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiFailure } from '../lib/api';
import { useNotices } from '../lib/notices';
import { useConfirm } from './confirm';

export interface RecordState<T> {
  /** The route says `new`. */
  isNew: boolean;
  id: number | null;
  record: T | null;
  setRecord: (r: T) => void;
  error: ApiFailure | Error | null;
  reload: () => Promise<void>;
}

export function useRecord<T>(endpoint: string): RecordState<T> {
  const raw = useRoute().params.id ?? '';
  const isNew = raw === 'new';
  const id = /^\d+$/.test(raw) ? Number(raw) : null;
  const [record, setRecord] = useState<T | null>(null);
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const reload = useCallback(async () => {
    if (id === null) return;
    try {
      setRecord(await api<T>('GET', `${endpoint}/${id}`));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  }, [endpoint, id]);
  useEffect(() => {
    setRecord(null);
    setError(null);
    if (!isNew && id === null) setError(new Error('not found'));
    else void reload();
  }, [endpoint, raw]);
  return { isNew, id, record, setRecord, error, reload };
}

/** Loading, not found or load error, for a record not (yet) there. */
export function RecordStatus({ state, noun, list }: { state: Pick<RecordState<unknown>, 'error'>; noun: string; list: string }) {
  const notFound = state.error && (!(state.error instanceof ApiFailure) || state.error.status === 404);
  if (!state.error) return <p class="empty">Loading…</p>;
  return (
    <section>
      <h1>{notFound ? `No such ${noun}` : `Could not load the ${noun}`}</h1>
      <p role="alert">{notFound ? `There is no ${noun} with this id.` : state.error.message}</p>
      <p>
        <a href={list}>Back to the {noun} list</a>
      </p>
    </section>
  );
}

/** A page for `new` when the role may not create. */
export function NotAllowed({ what, list }: { what: ComponentChildren; list: string }) {
  return (
    <section>
      <h1>Not allowed</h1>
      <p>Only admins can {what}.</p>
      <p>
        <a href={list}>Back to the list</a>
      </p>
    </section>
  );
}

/** [dialog element, remove(id, label)]: asks, deletes, announces, goes back to `list`. */
export function useDelete(endpoint: string, list: string): [ComponentChildren, (id: number, label: string, body?: ComponentChildren) => Promise<void>] {
  const [dialog, ask] = useConfirm();
  const notices = useNotices();
  const { route } = useLocation();
  const remove = async (id: number, label: string, body?: ComponentChildren) => {
    if (!(await ask({ title: `Delete ${label}?`, body: body ?? 'This cannot be undone.', confirm: 'Delete', danger: true }))) return;
    try {
      await api('DELETE', `${endpoint}/${id}`);
      notices.success(`Deleted ${label}.`);
      route(list);
    } catch (e) {
      // 409 carries what still uses the object (policies, clients, active jobs).
      notices.error(e);
    }
  };
  return [dialog, remove];
}
