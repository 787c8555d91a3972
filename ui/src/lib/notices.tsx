/**
 * Notices: the one place results and errors of actions are announced (an aria-live
 * region, so screen readers hear them too). Errors stay until dismissed; successes fade.
 */
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useMemo, useState } from 'preact/hooks';
import { errorMessage } from './api';

export interface Notice {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

interface Notices {
  success: (text: string) => void;
  info: (text: string) => void;
  /** Shows an error: a string, or anything `api` threw. */
  error: (err: unknown) => void;
}

const NoticeContext = createContext<Notices | null>(null);
let nextId = 1;

export function NoticeProvider({ children }: { children: ComponentChildren }) {
  const [list, setList] = useState<Notice[]>([]);
  const dismiss = useCallback((id: number) => setList((l) => l.filter((n) => n.id !== id)), []);
  const push = useCallback(
    (kind: Notice['kind'], text: string) => {
      const id = nextId++;
      setList((l) => [...l.slice(-4), { id, kind, text }]);
      if (kind !== 'error') setTimeout(() => dismiss(id), 6000);
    },
    [dismiss],
  );
  const api = useMemo<Notices>(
    () => ({
      success: (t) => push('success', t),
      info: (t) => push('info', t),
      error: (e) => push('error', typeof e === 'string' ? e : errorMessage(e)),
    }),
    [push],
  );
  return (
    <NoticeContext.Provider value={api}>
      {children}
      <div class="notices" aria-live="polite" role="status">
        {list.map((n) => (
          <div key={n.id} class={`notice notice-${n.kind}`} data-kind={n.kind}>
            <span>{n.text}</span>
            <button type="button" class="icon" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

export function useNotices(): Notices {
  const n = useContext(NoticeContext);
  if (!n) throw new Error('useNotices outside NoticeProvider');
  return n;
}
