/**
 * /schedules/:id (a number or `new`). Admins get the form with its live preview; everyone
 * else sees the schedule read-only (the API refuses their writes anyway).
 */
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, errorMessage } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { useConfirm } from '../../components/confirm';
import { Field, FormError, useForm } from '../../components/form';
import { EnabledBadge } from '../../components/badges';
import { PageHeader } from '../../layout/Layout';
import { describeCrontab } from '../../../../shared/cron-description';
import { CRONTAB_PRESETS } from './presets';
import { PreviewPanel, useSchedulePreview } from './preview';
import { inZone, utcText } from './time';
import { browserTimezone, TimezoneField } from './timezone';
import type { Schedule } from './types';
import './schedules.css';

export function ScheduleEdit() {
  const id = useRoute().params.id ?? 'new';
  // A fresh editor per id: going from /schedules/new to /schedules/7 must not keep the old values.
  return <ScheduleLoader key={id} id={id} />;
}

function ScheduleLoader({ id }: { id: string }) {
  const isNew = id === 'new';
  const { can } = useSession();
  const [schedule, setSchedule] = useState<Schedule | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useTitle(isNew ? 'New schedule' : (schedule?.name ?? 'Schedule'));

  useEffect(() => {
    if (isNew) return;
    if (!/^\d+$/.test(id)) return setLoadError('There is no schedule with this id.');
    api<Schedule>('GET', `/schedules/${id}`).then(setSchedule, (err) => setLoadError(errorMessage(err)));
  }, [id]);

  if (loadError) {
    return (
      <section>
        <PageHeader title="Schedule" />
        <p class="form-error" role="alert">
          Could not load the schedule: {loadError} <a href="/schedules">Back to the schedules</a>.
        </p>
      </section>
    );
  }
  if (!isNew && !schedule) return <p class="empty">Loading…</p>;
  if (!can('admin')) {
    if (!schedule) {
      return (
        <section>
          <PageHeader title="New schedule" />
          <p>Only admins can create schedules.</p>
        </section>
      );
    }
    return <ScheduleDetails schedule={schedule} />;
  }
  return <ScheduleForm schedule={schedule} />;
}

interface Values {
  name: string;
  crontab: string;
  timezone: string;
  enabled: boolean;
}

function ScheduleForm({ schedule }: { schedule: Schedule | null }) {
  const { route } = useLocation();
  const notices = useNotices();
  const [confirmEl, ask] = useConfirm();
  const form = useForm<Values>(
    schedule
      ? { name: schedule.name, crontab: schedule.crontab, timezone: schedule.timezone, enabled: schedule.enabled }
      : { name: '', crontab: '', timezone: browserTimezone(), enabled: true },
  );
  const { values, set } = form;
  const preview = useSchedulePreview(values.crontab, values.timezone);

  // Crontab and timezone are validated exactly alike by the preview and by a save, so once
  // the preview has answered it speaks for both fields (it follows typing); a save's
  // reasons show only until then.
  const liveError = (field: string): ApiFailure | null => {
    if (preview.preview || preview.error) return preview.error?.field(field) ? preview.error : null;
    return form.error;
  };

  // A save refused only for the crontab or timezone is answered once the preview accepts
  // them again: its "Some fields are invalid." must not stay above a valid form.
  useEffect(() => {
    const fields = Object.keys(form.error?.body.error.fields ?? {});
    if (preview.preview && fields.length && fields.every((f) => f === 'crontab' || f === 'timezone')) form.setError(null);
  }, [preview.preview]);

  const save = async (e: Event) => {
    e.preventDefault();
    // An edit sends only what changed: a crontab or timezone in the body makes the API
    // recompute every policy's next run (and redraw its jitter), which must not happen
    // for a rename or an enabled switch.
    const changed = (v: typeof form.values) =>
      schedule ? Object.fromEntries(Object.entries(v).filter(([k, val]) => val !== (schedule as unknown as Record<string, unknown>)[k])) : v;
    if (schedule && !Object.keys(changed(form.values)).length) return notices.info('Nothing changed.');
    const saved = await form.submit((v) => (schedule ? api<Schedule>('PATCH', `/schedules/${schedule.id}`, changed(v)) : api<Schedule>('POST', '/schedules', v)));
    if (saved) {
      notices.success(`Schedule ${saved.name} ${schedule ? 'saved' : 'created'}.`);
      route('/schedules');
    }
  };

  const remove = async () => {
    if (!schedule) return;
    const ok = await ask({ title: `Delete schedule ${schedule.name}?`, body: 'Policies cannot use a deleted schedule; the API refuses while any does.', confirm: 'Delete', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `/schedules/${schedule.id}`);
      notices.success(`Schedule ${schedule.name} deleted.`);
      route('/schedules');
    } catch (err) {
      // 409: the policies that still use it, in the API's words.
      notices.error(err);
    }
  };

  return (
    <section>
      <PageHeader title={schedule ? `Schedule ${schedule.name}` : 'New schedule'}>
        {schedule && (
          <button type="button" class="danger" onClick={remove}>
            Delete
          </button>
        )}
      </PageHeader>
      <div class="schedule-edit">
        <form class="card" onSubmit={save} noValidate aria-label="Schedule">
          <FormError error={form.error} shown={['name', 'crontab', 'timezone', 'enabled']} />
          <Field label="Name" name="name" error={form.error}>
            <input type="text" required value={values.name} onInput={(e) => set('name', e.currentTarget.value)} />
          </Field>
          <Field label="Crontab" name="crontab" error={liveError('crontab')} hint="minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @monthly.">
            <input type="text" class="mono" required autocomplete="off" spellcheck={false} value={values.crontab} onInput={(e) => set('crontab', e.currentTarget.value)} />
          </Field>
          <div class="presets" role="group" aria-labelledby="presets-label">
            <span id="presets-label" class="hint">
              Presets:
            </span>
            {CRONTAB_PRESETS.map((p) => (
              <button key={p.crontab} type="button" class="secondary small" aria-pressed={values.crontab.trim() === p.crontab} title={p.crontab} onClick={() => set('crontab', p.crontab)}>
                {p.label}
              </button>
            ))}
          </div>
          <TimezoneField value={values.timezone} onInput={(v) => set('timezone', v)} error={liveError('timezone')} />
          <Field label="Enabled" name="enabled" error={form.error} hint="Policies on a disabled schedule are not launched by the scheduler.">
            <input type="checkbox" checked={values.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
          </Field>
          <div class="form-actions">
            <button type="submit" disabled={form.busy}>
              {form.busy ? 'Saving…' : schedule ? 'Save' : 'Create schedule'}
            </button>
            <a class="button secondary" href="/schedules">
              Cancel
            </a>
          </div>
        </form>
        <PreviewPanel state={preview} crontab={values.crontab} />
      </div>
      {confirmEl}
    </section>
  );
}

/** What a viewer or operator sees: the schedule and its next runs, no controls. */
function ScheduleDetails({ schedule }: { schedule: Schedule }) {
  const description = describeCrontab(schedule.crontab);
  return (
    <section>
      <PageHeader title={`Schedule ${schedule.name}`} />
      <div class="card">
        <dl class="meta">
          <dt>Crontab</dt>
          <dd>
            <code>{schedule.crontab}</code>
          </dd>
          <dt>Meaning</dt>
          <dd>{description ?? '—'}</dd>
          <dt>Timezone</dt>
          <dd>{schedule.timezone}</dd>
          <dt>State</dt>
          <dd>
            <EnabledBadge enabled={schedule.enabled} />
          </dd>
          <dt>Next runs</dt>
          <dd>
            {schedule.next_runs.length === 0 ? (
              'none'
            ) : (
              <ol class="next-runs">
                {schedule.next_runs.map((r) => (
                  <li key={r}>
                    <time dateTime={r}>{inZone(r, schedule.timezone)}</time> <span class="hint">({utcText(r)})</span>
                  </li>
                ))}
              </ol>
            )}
          </dd>
        </dl>
      </div>
      <p>
        <a href="/schedules">Back to the schedules</a>
      </p>
    </section>
  );
}
