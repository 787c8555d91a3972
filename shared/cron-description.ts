/**
 * A crontab in words, for the schedule editor, through cronstrue (no hand-written
 * describer). Only ever called on a crontab that shared/cron.ts accepted: croner decides
 * what is valid and when it runs; cronstrue only puts it in English.
 */
// cronstrue ships one UMD/CommonJS file whose `exports.default` and `exports.toString`
// are set; the named export reads the same in Node's ESM loader and in esbuild's bundle,
// where the meaning of a default import of a CommonJS module differs between the two.
import { toString as cronstrueToString } from 'cronstrue';

/**
 * "At 02:30", "Every 15 minutes, Monday through Friday": the crontab's times are the wall
 * clock of the schedule's timezone (24-hour clock). Null when cronstrue cannot read a
 * pattern croner accepts (e.g. croner's `+` day-of-week modifier).
 */
export function describeCrontab(pattern: string): string | null {
  try {
    return cronstrueToString(pattern.trim(), { use24HourTimeFormat: true, verbose: false, throwExceptionOnParseError: true });
  } catch {
    return null;
  }
}
