/**
 * Copy to the clipboard, for one-time values (pairing command, readiness curl). The text
 * always stays visible in a <pre> too: the clipboard API can be refused (permissions, a
 * non-secure origin), and then the user selects the text by hand.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 2500);
  };
  return (
    <button type="button" class="secondary copy" onClick={copy} aria-label={`Copy ${label}`}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text' : 'Copy'}
      {/* Announced to screen readers without moving focus. */}
      <span class="sr-only" aria-live="polite">
        {state === 'copied' ? `${label} copied` : state === 'failed' ? 'Could not copy; select the text and copy it by hand' : ''}
      </span>
    </button>
  );
}

/** A labelled block of text (a command) with its copy button. */
export function CopyBlock({ label, text, id }: { label: string; text: string; id: string }) {
  return (
    <div class="copy-block">
      <p class="copy-label" id={`${id}-label`}>
        {label}
      </p>
      <div class="copy-row">
        <pre aria-labelledby={`${id}-label`} data-copy={id} tabIndex={0}>
          {text}
        </pre>
        <CopyButton text={text} label={label.toLowerCase()} />
      </div>
    </div>
  );
}
