/**
 * A timezone picker that stays a plain text input: typing filters the browser's own list
 * of IANA zones (a <datalist>), and any name the API knows can still be typed.
 */
import { useMemo } from 'preact/hooks';
import type { ApiFailure } from '../../lib/api';
import { Field } from '../../components/form';

/** The browser's zone, the default for a new schedule (what "02:00" most likely means to its author). */
export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function allTimezones(): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    /* an old browser: free text only */
  }
  // Chromium leaves the UTC alias out of its canonical list; it is the API's default.
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

interface Props {
  value: string;
  onInput: (value: string) => void;
  error: ApiFailure | null;
  disabled?: boolean;
}

export function TimezoneField({ value, onInput, error, disabled }: Props) {
  const zones = useMemo(allTimezones, []);
  return (
    <>
      <Field label="Timezone" name="timezone" error={error} hint="IANA name (Europe/Paris, America/New_York, UTC); the crontab is read on this zone's wall clock.">
        <input
          type="text"
          list="timezone-list"
          autocomplete="off"
          spellcheck={false}
          value={value}
          disabled={disabled}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      </Field>
      <datalist id="timezone-list">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </>
  );
}
