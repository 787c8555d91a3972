/**
 * One group of settings as one form with one Save. The API changes one key per PATCH,
 * so Save sends each changed key; those the API refuses keep what was typed and show its
 * reason beside their input, the others are saved.
 */
import { useState } from 'preact/hooks';
import { api, ApiFailure, errorMessage } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useConfirm } from '../../components/confirm';
import { FormError } from '../../components/form';
import { SettingField } from './setting-field';
import { draftOf, groupTitle, isChanged, valueOf, type Draft, type Setting } from './types';

interface Props {
  group: string;
  settings: Setting[];
  onSaved: (updated: Setting[]) => void;
}

const draftsOf = (settings: Setting[]) => Object.fromEntries(settings.map((s) => [s.key, draftOf(s)]));

export function SettingsGroupForm({ group, settings, onSaved }: Props) {
  const notices = useNotices();
  const [confirmEl, ask] = useConfirm();
  const [drafts, setDrafts] = useState<Record<string, Draft>>(() => draftsOf(settings));
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const title = groupTitle(group);

  /** PATCHes `changes` one by one; returns the saved settings and the reasons by key. */
  const send = async (changes: [Setting, string | number | boolean | null][]) => {
    const saved: Setting[] = [];
    const reasons: Record<string, string[]> = {};
    for (const [s, value] of changes) {
      try {
        saved.push(await api<Setting>('PATCH', `/settings/${encodeURIComponent(s.key)}`, { value }));
      } catch (err) {
        // The API names the body's `value`; here the field is the setting's key.
        reasons[s.key] = (err instanceof ApiFailure && err.field('value')) || [errorMessage(err)];
      }
    }
    return { saved, reasons };
  };

  const finish = (saved: Setting[], reasons: Record<string, string[]>) => {
    const failed = Object.keys(reasons).length;
    setError(failed ? new ApiFailure(400, { error: { code: 'invalid', message: `${failed} ${failed === 1 ? 'setting was' : 'settings were'} not saved.`, fields: reasons } }) : null);
    if (saved.length) {
      // Saved inputs show the stored value again (a secret's empties); refused ones keep the typing.
      setDrafts((d) => ({ ...d, ...draftsOf(saved) }));
      onSaved(saved);
      notices.success(`${title}: ${saved.map((s) => s.label).join(', ')} saved.`);
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const changes = settings.filter((s) => isChanged(s, drafts[s.key] ?? draftOf(s))).map((s) => [s, valueOf(s, drafts[s.key]!)] as [Setting, string | number | boolean | null]);
    if (!changes.length) {
      setError(null);
      notices.info(`${title}: nothing changed.`);
      return;
    }
    setBusy(true);
    try {
      const { saved, reasons } = await send(changes);
      finish(saved, reasons);
    } finally {
      setBusy(false);
    }
  };

  const clearSecret = async (s: Setting) => {
    if (!(await ask({ title: `Remove ${s.label}?`, body: 'The stored value is deleted.', confirm: 'Remove', danger: true }))) return;
    setBusy(true);
    try {
      const { saved, reasons } = await send([[s, null]]);
      finish(saved, reasons);
    } finally {
      setBusy(false);
    }
  };

  const legendId = `settings-${group}`;
  return (
    <form class="card settings-group" onSubmit={save} noValidate aria-labelledby={legendId}>
      <fieldset>
        <legend id={legendId}>{title}</legend>
        <FormError error={error} shown={settings.map((s) => s.key)} />
        {settings.map((s) => (
          <SettingField
            key={s.key}
            setting={s}
            draft={drafts[s.key] ?? draftOf(s)}
            onChange={(d) => setDrafts((all) => ({ ...all, [s.key]: d }))}
            error={error}
            disabled={busy}
            onClearSecret={() => clearSecret(s)}
          />
        ))}
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : `Save ${title.toLowerCase()} settings`}
          </button>
        </div>
      </fieldset>
      {confirmEl}
    </form>
  );
}
