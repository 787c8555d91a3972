/**
 * Copies a text to the clipboard and says so on the button itself. The text is always
 * visible beside it too (a <code>), because the clipboard can be refused (no permission,
 * an insecure origin) and the user must still be able to select it.
 * Local to this folder for now; it belongs in ui/src/components (relays and prepare jobs copy too).
 */
import { useEffect, useState } from 'preact/hooks';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <button type="button" class="secondary" onClick={copy}>
      {label}
      <span aria-live="polite" class={state === 'failed' ? 'copy-failed' : 'copy-done'}>
        {state === 'copied' ? ' ✓ copied' : state === 'failed' ? ' — not allowed, select the text instead' : ''}
      </span>
    </button>
  );
}
