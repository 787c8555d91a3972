/**
 * Wall-clock time of an instant in an IANA timezone, as ISO 8601 with the offset in
 * force then (`2026-03-29T03:00:00+02:00`), through the runtime's Intl data: the one
 * way to say "what the clock on the wall showed" that survives DST (the offset is part
 * of the answer, so the two 02:30 of a fall-back night stay distinct).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    // hourCycle h23: 'en-US' with hour12 false still prints midnight as 24 in some ICU versions.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The local wall-clock time of `at` in `timezone`, ISO 8601 with its UTC offset, to the second.
 *
 * @example
 * localIso(new Date('2026-03-29T01:00:00Z'), 'Europe/Paris') // '2026-03-29T03:00:00+02:00'
 */
export function localIso(at: Date, timezone: string): string {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  // The offset is the wall clock read as if it were UTC, minus the instant (whole seconds).
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offsetMinutes = Math.round((wallAsUtc - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
