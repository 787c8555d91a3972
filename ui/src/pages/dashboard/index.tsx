/**
 * The dashboard (`/`): counts, running jobs with live progress, overdue clients, the
 * 30-day chart and the upcoming runs. Everything is re-read every few seconds while the
 * tab is visible; running jobs also follow their events sockets, and a job that ends
 * triggers a read at once so the counts and the chart catch up without waiting.
 */
import { useCallback, useState } from 'preact/hooks';
import { PageHeader } from '../../layout/Layout';
import { errorMessage } from '../../lib/api';
import { usePolling } from '../../lib/poll';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { CountCards } from './CountCards';
import { GettingStarted } from './GettingStarted';
import { loadDashboard, type DashboardData } from './load';
import { OverdueClients } from './OverdueClients';
import { RunningJobs } from './RunningJobs';
import { StatsChart } from './StatsChart';
import { UpcomingRuns } from './UpcomingRuns';
import './dashboard.css';

const POLL_MS = 5000;
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function Dashboard() {
  useTitle('Dashboard');
  const { can } = useSession();
  const [data, setData] = useState<DashboardData | null>(null);
  const [readAt, setReadAt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);

  // A new `refresh` restarts the polling, which reads at once.
  usePolling(
    async () => {
      try {
        const now = Date.now();
        setData(await loadDashboard(now));
        setReadAt(now);
        setError(null);
      } catch (err) {
        setError(errorMessage(err));
      }
    },
    POLL_MS,
    [refresh],
  );
  const onJobEnded = useCallback(() => setRefresh((n) => n + 1), []);

  return (
    <section class="dashboard">
      <PageHeader title="Dashboard">
        {readAt > 0 && (
          <span class="hint dash-updated">
            Updated <time dateTime={new Date(readAt).toISOString()}>{clock.format(readAt)}</time>
          </span>
        )}
      </PageHeader>
      {error && (
        <p class="form-error" role="alert">
          Could not refresh the dashboard: {error}
          {data ? ' The numbers shown are from the last successful read.' : ''}
        </p>
      )}
      <CountCards counts={data?.counts ?? null} />
      {data?.setup && <GettingStarted counts={data.counts} setup={data.setup} isAdmin={can('admin')} />}
      {!data && !error && <p class="hint">Loading…</p>}
      <div class="dash-grid">
        {data && (
          <>
            <RunningJobs jobs={data.running} total={data.counts.running} clientNames={data.clientNames} policyNames={data.policyNames} onEnded={onJobEnded} canLaunch={can('operator')} />
            <OverdueClients clients={data.overdue} total={data.counts.overdue} now={readAt} />
          </>
        )}
        {/* Mounted from the start, so the chart code loads while the numbers are read. */}
        <div class="dash-wide">
          <StatsChart days={data?.stats ?? null} />
        </div>
        {data && (
          <div class="dash-wide">
            <UpcomingRuns runs={data.upcoming} now={readAt} canCreate={can('admin')} />
          </div>
        )}
      </div>
    </section>
  );
}
