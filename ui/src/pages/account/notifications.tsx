/** The notification preferences of a user, one checkbox per kind the API knows (shared/domain). */
import { NOTIFICATION_KINDS, type NotificationKind, type NotificationPreferences } from '../../../../shared/domain';
import type { ApiFailure } from '../../lib/api';
import { Field } from '../../components/form';

const LABELS: Record<NotificationKind, string> = {
  backup_failed: 'A backup failed',
  backup_succeeded: 'A backup succeeded',
  summary: 'Run summary',
  daily_report: 'Daily report',
  weekly_report: 'Weekly report',
  monthly_report: 'Monthly report',
};

/** Every kind, with the API's default (failures only) for any it did not send. */
export function fullPreferences(p: Record<string, boolean> | undefined): NotificationPreferences {
  return Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, p?.[k] ?? k === 'backup_failed'])) as NotificationPreferences;
}

interface Props {
  value: NotificationPreferences;
  onChange: (value: NotificationPreferences) => void;
  error: ApiFailure | null;
  legend?: string;
}

export function NotificationFields({ value, onChange, error, legend = 'Email me when' }: Props) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {NOTIFICATION_KINDS.map((k) => (
        <Field key={k} label={LABELS[k]} name={`notifications.${k}`} error={error}>
          <input type="checkbox" checked={value[k]} onChange={(e) => onChange({ ...value, [k]: e.currentTarget.checked })} />
        </Field>
      ))}
    </fieldset>
  );
}
