/** /schedules: every schedule with what its crontab means and when it runs next. */
import { ListView, yesNoFilter, type Column } from '../../components/list';
import { EnabledBadge } from '../../components/badges';
import { formatRelative } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { PageHeader } from '../../layout/Layout';
import { describeCrontab } from '../../../../shared/cron-description';
import { inZone, utcText } from './time';
import type { Schedule } from './types';
import './schedules.css';

export function ScheduleList() {
  useTitle('Schedules');
  const isAdmin = useSession().can('admin');
  const columns: Column<Schedule>[] = [
    { label: 'Name', sort: 'name', render: (s) => <a href={`/schedules/${s.id}`}>{s.name}</a> },
    {
      label: 'Crontab',
      render: (s) => (
        <>
          <code>{s.crontab}</code>
          {/* The same words as the preview (shared/cron-description, cronstrue), without a request per row. */}
          <div class="schedule-desc">{describeCrontab(s.crontab) ?? ''}</div>
        </>
      ),
    },
    { label: 'Timezone', render: (s) => s.timezone },
    { label: 'Next run', render: (s) => <NextRun schedule={s} /> },
  ];
  // Admins get the enabled switch from ListView; everyone else sees the state as a badge.
  if (!isAdmin) columns.push({ label: 'State', render: (s) => <EnabledBadge enabled={s.enabled} /> });

  return (
    <section>
      <PageHeader title="Schedules">
        {isAdmin && (
          <a class="button" href="/schedules/new">
            New schedule
          </a>
        )}
      </PageHeader>
      <ListView<Schedule>
        endpoint="/schedules"
        noun="schedule"
        columns={columns}
        search
        filters={[yesNoFilter('enabled', 'Enabled', 'Enabled', 'Disabled')]}
        defaultOrder="name"
        toggle={(s) => `Schedule ${s.name}`}
      />
    </section>
  );
}

function NextRun({ schedule }: { schedule: Schedule }) {
  const next = schedule.next_runs[0];
  if (!next) return <span class="hint">never</span>;
  return (
    <>
      <time dateTime={next} title={utcText(next)}>
        {inZone(next, schedule.timezone)}
      </time>
      <div class="hint">
        {formatRelative(next)}
        {schedule.enabled ? '' : ' (disabled)'}
      </div>
    </>
  );
}
