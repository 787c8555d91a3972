import { useEffect, useRef } from 'preact/hooks';

/**
 * Calls `fn` now and every `ms` while the tab is visible (and at once when it becomes
 * visible again). Lists and the dashboard stay live this way; a job's own page is pushed
 * over its events socket instead. `fn` may be async; calls never overlap.
 */
export function usePolling(fn: () => unknown, ms: number, deps: unknown[] = []) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let stopped = false;
    const tick = async () => {
      if (stopped || running) return;
      if (document.visibilityState === 'visible') {
        running = true;
        try {
          await latest.current();
        } catch {
          /* the page shows its own error state */
        } finally {
          running = false;
        }
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') {
        clearTimeout(timer);
        void tick();
      }
    };
    void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ms, ...deps]);
}
