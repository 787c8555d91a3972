/**
 * Forms: controlled values, one submit that calls the API, and the API's field errors
 * shown beside each input (`aria-invalid` + `aria-describedby`, so they are announced).
 * Every input has a visible label.
 */
import { cloneElement, type ComponentChildren, type VNode } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { ApiFailure } from '../lib/api';

export interface FormState<T> {
  values: T;
  set: <K extends keyof T>(key: K, value: T[K]) => void;
  setAll: (values: T) => void;
  error: ApiFailure | null;
  setError: (e: ApiFailure | null) => void;
  busy: boolean;
  /** Runs `action` (which calls the API); an ApiFailure is kept for the fields, anything else rethrown. Resolves with the result or undefined. */
  submit: <R>(action: (values: T) => Promise<R>) => Promise<R | undefined>;
}

export function useForm<T extends object>(initial: T): FormState<T> {
  const [values, setValues] = useState<T>(initial);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const set = useCallback(<K extends keyof T>(key: K, value: T[K]) => setValues((v) => ({ ...v, [key]: value })), []);
  const submit = async <R,>(action: (values: T) => Promise<R>) => {
    setBusy(true);
    setError(null);
    try {
      return await action(values);
    } catch (err) {
      if (err instanceof ApiFailure) {
        setError(err);
        return undefined;
      }
      throw err;
    } finally {
      setBusy(false);
    }
  };
  return { values, set, setAll: setValues, error, setError, busy, submit };
}

export const fieldId = (name: string) => `field-${name.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

/** The reasons the API gave for `name` and for anything nested under it (`name.0`). */
export function fieldReasons(error: ApiFailure | null, name: string): string[] {
  const fields = error?.body.error.fields;
  if (!fields) return [];
  return Object.entries(fields)
    .filter(([k]) => k === name || k.startsWith(`${name}.`))
    .flatMap(([k, v]) => (k === name ? v : v.map((r) => `${k.slice(name.length + 1)}: ${r}`)));
}

interface FieldProps {
  label: ComponentChildren;
  /** The API field name, e.g. `hostname` or `options.folders`. */
  name: string;
  error: ApiFailure | null;
  hint?: ComponentChildren;
  /** One input/select/textarea; it gets id, name, aria-invalid and aria-describedby. */
  children: VNode<any>;
  class?: string;
}

export function Field({ label, name, error, hint, children, class: cls }: FieldProps) {
  const id = fieldId(name);
  const reasons = fieldReasons(error, name);
  const described = [hint ? `${id}-hint` : '', reasons.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const isCheck = children.props?.type === 'checkbox';
  const input = cloneElement(children, { id, name, 'aria-invalid': reasons.length ? 'true' : undefined, 'aria-describedby': described });
  return (
    <div class={`field${isCheck ? ' field-check' : ''}${reasons.length ? ' has-error' : ''}${cls ? ` ${cls}` : ''}`}>
      {isCheck ? (
        <label for={id}>
          {input} {label}
        </label>
      ) : (
        <>
          <label for={id}>{label}</label>
          {input}
        </>
      )}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {reasons.length > 0 && (
        <p class="field-error" id={`${id}-error`} data-field={name}>
          {reasons.join(' ')}
        </p>
      )}
    </div>
  );
}

/** The error's message at the top of a form (role=alert), with any field errors not shown beside an input. */
export function FormError({ error, shown = [] }: { error: ApiFailure | null; shown?: string[] }) {
  if (!error) return null;
  const fields = error.body.error.fields ?? {};
  const others = Object.entries(fields).filter(([k]) => !shown.some((s) => k === s || k.startsWith(`${s}.`)));
  return (
    <div class="form-error" role="alert">
      <p>{error.message}</p>
      {others.length > 0 && (
        <ul>
          {others.map(([k, v]) => (
            <li key={k}>
              <code>{k}</code>: {v.join(' ')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** `'' → null`, else a number (NaN stays, so the API names the field). */
export const numberOrNull = (s: string): number | null => (s.trim() === '' ? null : Number(s));
/** One entry per non-empty line. */
export const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean);
