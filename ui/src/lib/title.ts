import { useEffect } from 'preact/hooks';

/** Sets the document title ("Clients · Borg Orchestrator") while the page is shown. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Borg Orchestrator` : 'Borg Orchestrator';
  }, [title]);
}
