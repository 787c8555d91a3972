/** Crontabs most schedules are, offered as one-click fills on the schedule form. */
export const CRONTAB_PRESETS: { label: string; crontab: string }[] = [
  { label: 'Hourly', crontab: '@hourly' },
  { label: 'Every 6 hours', crontab: '0 */6 * * *' },
  { label: 'Daily at midnight', crontab: '@daily' },
  { label: 'Daily at 02:30', crontab: '30 2 * * *' },
  { label: 'Weekdays at 02:30', crontab: '30 2 * * 1-5' },
  { label: 'Sundays at 03:00', crontab: '0 3 * * 0' },
  { label: 'Monthly, 1st at 04:00', crontab: '0 4 1 * *' },
];
