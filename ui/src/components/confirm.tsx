/**
 * A confirmation in a native <dialog> (focus is trapped and Escape cancels, by the
 * browser). `useConfirm()` returns [element, ask]; `await ask({...})` is true on confirm.
 */
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';

interface Ask {
  title: string;
  body?: ComponentChildren;
  confirm?: string;
  danger?: boolean;
}

export function useConfirm(): [ComponentChildren, (ask: Ask) => Promise<boolean>] {
  const ref = useRef<HTMLDialogElement>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  const close = (ok: boolean) => {
    ref.current?.close();
    resolver.current?.(ok);
    resolver.current = null;
    setAsk(null);
  };
  const open = (a: Ask) =>
    new Promise<boolean>((resolve) => {
      resolver.current = resolve;
      setAsk(a);
      // After render: showModal moves focus into the dialog.
      requestAnimationFrame(() => ref.current?.showModal());
    });
  const el = (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={() => close(false)}>
      {ask && (
        <form method="dialog" onSubmit={(e) => (e.preventDefault(), close(true))}>
          <h2 id="confirm-title">{ask.title}</h2>
          {ask.body && <div class="confirm-body">{ask.body}</div>}
          <div class="actions">
            {/* A destructive choice is never the default: Enter right after opening cancels. */}
            <button type="button" class="secondary" onClick={() => close(false)} autofocus={!!ask.danger}>
              Cancel
            </button>
            <button type="submit" class={ask.danger ? 'danger' : ''} autofocus={!ask.danger}>
              {ask.confirm ?? 'Confirm'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
  return [el, open];
}
