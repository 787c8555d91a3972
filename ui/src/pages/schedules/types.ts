/** Shapes of worker/api/schedules (index.ts and preview.ts). */
import type { Toggleable } from '../../lib/types';

export interface Schedule extends Toggleable {
  name: string;
  crontab: string;
  timezone: string;
  /** The next five runs, UTC ISO, whatever the enabled state. */
  next_runs: string[];
}

export interface SchedulePreview {
  crontab: string;
  timezone: string;
  description: string | null;
  after: string;
  runs: { utc: string; local: string }[];
}
