/** The fields every policy has, whatever its type: what, where, when, how long to keep, hooks, limits. */
import { Field } from '../../components/form';
import type { ApiFailure } from '../../lib/api';
import type { PolicyValues } from './form-model';
import { KEEP_FIELDS } from './form-model';
import type { Lookups } from './lookups';
import { POLICY_TYPES, TYPE_LABELS, type PolicyType } from './types';

export interface SectionProps {
  values: PolicyValues;
  set: <K extends keyof PolicyValues>(key: K, value: PolicyValues[K]) => void;
  error: ApiFailure | null;
}

/** Names of the fields these sections show, for FormError's "shown" list. */
export const COMMON_FIELD_NAMES = [
  'name',
  'type',
  'schedule',
  'repository',
  'mode_pull',
  'enabled',
  'keep_within',
  ...KEEP_FIELDS,
  'prune_enabled',
  'pre_hook',
  'post_hook',
  'compression',
  'catalog_enabled',
  'jitter_seconds',
  'expected_interval_hours',
  'max_duration_seconds',
];

const text = (e: Event) => (e.currentTarget as HTMLInputElement).value;
const checked = (e: Event) => (e.currentTarget as HTMLInputElement).checked;

export function GeneralFields({ values, set, error, lookups }: SectionProps & { lookups: Lookups }) {
  return (
    <fieldset>
      <legend>General</legend>
      <div class="grid">
        <Field label="Name" name="name" error={error}>
          <input value={values.name} onInput={(e) => set('name', text(e))} required maxLength={100} autocomplete="off" />
        </Field>
        <Field label="Type" name="type" error={error} hint="Changing it swaps the options below.">
          <select value={values.type} onChange={(e) => set('type', text(e) as PolicyType)}>
            {POLICY_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}: {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Schedule" name="schedule" error={error}>
          <select value={values.schedule} onChange={(e) => set('schedule', text(e))}>
            <option value="">Choose a schedule…</option>
            {lookups.schedules.map((s) => (
              <option key={s.id} value={String(s.id)}>
                {s.name} ({s.crontab}, {s.timezone}){s.enabled ? '' : ' — disabled'}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Repository" name="repository" error={error} hint="The policy's clients must be on this repository's relay.">
          <select value={values.repository} onChange={(e) => set('repository', text(e))}>
            <option value="">Choose a repository…</option>
            {lookups.repositories.map((r) => (
              <option key={r.id} value={String(r.id)}>
                {r.name}
                {r.usable === false ? ' — unusable' : ''}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Mode" name="mode_pull" error={error} hint="Pull: the relay runs borg and reads the data over SSH; the client needs no borg.">
          <select value={values.mode_pull ? 'pull' : 'push'} onChange={(e) => set('mode_pull', text(e) === 'pull')}>
            <option value="push">Push: the client runs borg</option>
            <option value="pull">Pull: the relay pulls over SSH</option>
          </select>
        </Field>
      </div>
      <Field label="Enabled" name="enabled" error={error} hint="A disabled policy is neither run by its schedule nor launched.">
        <input type="checkbox" checked={values.enabled} onChange={(e) => set('enabled', checked(e))} />
      </Field>
    </fieldset>
  );
}

const KEEP_LABELS: Record<(typeof KEEP_FIELDS)[number], string> = {
  keep_hourly: 'Keep hourly',
  keep_daily: 'Keep daily',
  keep_weekly: 'Keep weekly',
  keep_monthly: 'Keep monthly',
  keep_yearly: 'Keep yearly',
};

export function RetentionFields({ values, set, error }: SectionProps) {
  const none = !values.keep_within.trim() && KEEP_FIELDS.every((k) => !Number(values[k]));
  return (
    <fieldset>
      <legend>Retention</legend>
      <p class="hint">borg prune's --keep-* rules. With none set (or all 0) the archives are never pruned.</p>
      <div class="grid policy-keep">
        <Field label="Keep within" name="keep_within" error={error} hint="Like 7d: a number and H, d, w, m or y.">
          <input value={values.keep_within} onInput={(e) => set('keep_within', text(e))} placeholder="7d" autocomplete="off" />
        </Field>
        {KEEP_FIELDS.map((k) => (
          <Field key={k} label={KEEP_LABELS[k]} name={k} error={error}>
            <input type="number" min={0} max={100000} step={1} value={values[k]} onInput={(e) => set(k, text(e))} />
          </Field>
        ))}
      </div>
      <Field label="Prune after each backup" name="prune_enabled" error={error} hint={none ? 'Has no effect until a retention is set.' : 'Also needs the auto_prune setting.'}>
        <input type="checkbox" checked={values.prune_enabled} onChange={(e) => set('prune_enabled', checked(e))} />
      </Field>
    </fieldset>
  );
}

export function HookFields({ values, set, error }: SectionProps) {
  return (
    <fieldset>
      <legend>Hooks</legend>
      <div class="grid">
        <Field label="Pre-backup hook" name="pre_hook" error={error} hint="Shell run on the client before borg; if it fails, the backup is aborted.">
          <textarea rows={3} value={values.pre_hook} onInput={(e) => set('pre_hook', text(e))} spellcheck={false} />
        </Field>
        <Field label="Post-backup hook" name="post_hook" error={error} hint="Shell run on the client after borg, whatever the result.">
          <textarea rows={3} value={values.post_hook} onInput={(e) => set('post_hook', text(e))} spellcheck={false} />
        </Field>
      </div>
    </fieldset>
  );
}

export function TimingFields({ values, set, error }: SectionProps) {
  return (
    <fieldset>
      <legend>Timing, limits and archives</legend>
      <div class="grid">
        <Field label="Jitter (seconds)" name="jitter_seconds" error={error} hint="Scheduled runs start 0 to this many seconds late, to spread load (0–3600).">
          <input type="number" min={0} max={3600} step={1} value={values.jitter_seconds} onInput={(e) => set('jitter_seconds', text(e))} />
        </Field>
        <Field label="Expected interval (hours)" name="expected_interval_hours" error={error} hint="A client is overdue past this; empty: the overdue_hours setting.">
          <input type="number" min={1} max={24 * 366} step={1} value={values.expected_interval_hours} onInput={(e) => set('expected_interval_hours', text(e))} />
        </Field>
        <Field label="Maximum duration (seconds)" name="max_duration_seconds" error={error} hint="60 s to 7 days; empty: no limit.">
          <input type="number" min={60} max={7 * 86400} step={1} value={values.max_duration_seconds} onInput={(e) => set('max_duration_seconds', text(e))} />
        </Field>
        <Field label="Compression" name="compression" error={error} hint="lz4, zstd,3, zlib,6, lzma,6, auto,zstd or none.">
          <input value={values.compression} onInput={(e) => set('compression', text(e))} list="policy-compressions" autocomplete="off" />
        </Field>
      </div>
      <datalist id="policy-compressions">
        {['lz4', 'zstd', 'zstd,3', 'zstd,10', 'auto,zstd', 'zlib,6', 'lzma,6', 'none'].map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <Field label="Catalog the archive's files after each backup" name="catalog_enabled" error={error} hint="Also needs the catalog_enabled setting. Bandwidth limits are set per client.">
        <input type="checkbox" checked={values.catalog_enabled} onChange={(e) => set('catalog_enabled', checked(e))} />
      </Field>
    </fieldset>
  );
}
