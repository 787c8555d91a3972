/**
 * Notices: the one place results and errors of actions are announced (an aria-live
 * region, so screen readers hear them too). Errors stay until dismissed; successes fade.
 */
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useMemo, useState } from 'preact/hooks';
import { errorMessage } from './api';

/** A link shown after a notice's text (e.g. to the job a launch created). */
export interface NoticeLink {
  href: string;
  label: string;
}

export interface Notice {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
  link?: NoticeLink;
}

interface Notices {
  success: (text: string, link?: NoticeLink) => void;
  info: (text: string, link?: NoticeLink) => void;
  /** Shows an error: a string, or anything `api` threw. */
  error: (err: unknown) => void;
}

const NoticeContext = createContext<Notices | null>(null);
let nextId = 1;

export function NoticeProvider({ children }: { children: ComponentChildren }) {
  const [list, setList] = useState<Notice[]>([]);
  const dismiss = useCallback((id: number) => setList((l) => l.filter((n) => n.id !== id)), []);
  const push = useCallback(
    (kind: Notice['kind'], text: string, link?: NoticeLink) => {
      const id = nextId++;
      setList((l) => [...l.slice(-4), { id, kind, text, link }]);
      // A notice with a link stays longer: it may be the way to what was just made.
      if (kind !== 'error') setTimeout(() => dismiss(id), link ? 15000 : 6000);
    },
    [dismiss],
  );
  const api = useMemo<Notices>(
    () => ({
      success: (t, link) => push('success', t, link),
      info: (t, link) => push('info', t, link),
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
            <span>
              {n.text}
              {n.link && (
                <>
                  {' '}
                  <a href={n.link.href}>{n.link.label}</a>
                </>
              )}
            </span>
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
