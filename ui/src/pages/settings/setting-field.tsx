/** One setting as a labelled input of its type (Field puts the API's reason beside it). */
import type { ApiFailure } from '../../lib/api';
import { Field } from '../../components/form';
import type { Draft, Setting } from './types';

interface Props {
  setting: Setting;
  draft: Draft;
  onChange: (d: Draft) => void;
  error: ApiFailure | null;
  disabled?: boolean;
  onClearSecret?: () => void;
}

export function SettingField({ setting: s, draft, onChange, error, disabled, onClearSecret }: Props) {
  if (s.type === 'boolean') {
    return (
      <Field label={s.label} name={s.key} error={error} hint={s.description}>
        <input type="checkbox" checked={draft === true} disabled={disabled} onChange={(e) => onChange(e.currentTarget.checked)} />
      </Field>
    );
  }
  if (s.type === 'secret') {
    // Write-only: the API never returns it, only whether one is stored.
    return (
      <div class="secret-setting">
        <Field
          label={
            <>
              {s.label} <span class={`badge ${s.has_value ? 'ok' : 'muted'}`}>{s.has_value ? 'set' : 'not set'}</span>
            </>
          }
          name={s.key}
          error={error}
          hint={`${s.description} ${s.has_value ? 'Type a new value to replace it; leave empty to keep it.' : 'Type a value to set it.'}`}
        >
          <input type="password" autocomplete="new-password" value={String(draft)} disabled={disabled} placeholder={s.has_value ? '•••••••• (unchanged)' : ''} onInput={(e) => onChange(e.currentTarget.value)} />
        </Field>
        {s.has_value && onClearSecret && (
          <button type="button" class="secondary small" onClick={onClearSecret} disabled={disabled}>
            Remove {s.label}
          </button>
        )}
      </div>
    );
  }
  return (
    <Field label={s.label} name={s.key} error={error} hint={s.description}>
      {s.type === 'integer' ? (
        <input type="number" inputMode="numeric" step={1} value={String(draft)} disabled={disabled} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : (
        <input type="text" value={String(draft)} disabled={disabled} spellcheck={false} onInput={(e) => onChange(e.currentTarget.value)} />
      )}
    </Field>
  );
}
