/**
 * How run times read on the schedule pages: the wall clock of the schedule's timezone,
 * as the API gives it (`2026-03-29T03:00:00+02:00`), and UTC. Both are written
 * `YYYY-MM-DD HH:MM` on a 24-hour clock, so a run at 02:00 reads "02:00" whatever the
 * browser's locale, and the two 02:30 of a fall-back night stay apart by their offset.
 */
import { localIso } from '../../../../shared/zoned-time';

/** "Mon 2026-03-30 02:00" and "+02:00" from a local ISO string with its offset. */
export function splitLocal(local: string): { text: string; offset: string } {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(local);
  if (!m) return { text: local, offset: '' };
  const [, date, time, off] = m as unknown as [string, string, string, string];
  // The weekday of the wall-clock date, computed at noon UTC so no offset can move it.
  const weekday = new Date(`${date}T12:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
  return { text: `${weekday} ${date} ${time}`, offset: off === 'Z' ? '+00:00' : off };
}

/** "2026-03-30 00:00 UTC" from a UTC ISO instant. */
export function utcText(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The wall-clock time of a UTC instant in `timezone` ("Mon 2026-03-30 02:00"), or the ISO text if the zone is unknown. */
export function inZone(iso: string, timezone: string): string {
  try {
    return splitLocal(localIso(new Date(iso), timezone)).text;
  } catch {
    return iso;
  }
}
