/**
 * Every page, loaded on demand: the first load fetches only the shell (router, layout,
 * forms), each page's code comes when it is visited. That keeps the initial JavaScript
 * small (measured at build: docs/benchmarks.md).
 */
import type { ComponentType } from 'preact';
import { lazy, Route, Router, useRoute } from 'preact-iso';

/**
 * One component instance per object: the router reuses a page's component when only the
 * `:id` changes (`/policies/new` → `/policies/7`, job → relaunched job, Back), which would
 * keep the previous object's state (a "new" form that PATCHes, a job page ignoring its
 * new job). Keyed by the id, each object gets a fresh page.
 */
function perObject(Page: ComponentType) {
  return function PerObject() {
    const { params } = useRoute();
    return <Page key={params.id} />;
  };
}

const page = <K extends string>(load: () => Promise<Record<K, any>>, name: K) => lazy(() => load().then((m) => m[name]));

const Dashboard = page(() => import('./pages/dashboard'), 'Dashboard');
const JobList = page(() => import('./pages/jobs'), 'JobList');
const JobPage = perObject(page(() => import('./pages/jobs'), 'JobPage'));
const RestorePage = page(() => import('./pages/restore'), 'RestorePage');
const PolicyList = page(() => import('./pages/policies'), 'PolicyList');
const PolicyEdit = perObject(page(() => import('./pages/policies'), 'PolicyEdit'));
const ClientList = page(() => import('./pages/clients'), 'ClientList');
const ClientEdit = perObject(page(() => import('./pages/clients'), 'ClientEdit'));
const RepositoryList = page(() => import('./pages/repositories'), 'RepositoryList');
const RepositoryEdit = perObject(page(() => import('./pages/repositories'), 'RepositoryEdit'));
const ScheduleList = page(() => import('./pages/schedules'), 'ScheduleList');
const ScheduleEdit = perObject(page(() => import('./pages/schedules'), 'ScheduleEdit'));
const RelayList = page(() => import('./pages/relays'), 'RelayList');
const RelayEdit = perObject(page(() => import('./pages/relays'), 'RelayEdit'));
const UserList = page(() => import('./pages/users'), 'UserList');
const UserEdit = perObject(page(() => import('./pages/users'), 'UserEdit'));
const SettingsPage = page(() => import('./pages/settings'), 'SettingsPage');
const ProfilePage = page(() => import('./pages/account'), 'ProfilePage');
const TokensPage = page(() => import('./pages/account'), 'TokensPage');

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page here. <a href="/">Back to the dashboard</a>.
      </p>
    </section>
  );
}

export function Routes() {
  return (
    <Router onRouteChange={() => document.getElementById('main')?.focus({ preventScroll: true })}>
      <Route path="/" component={Dashboard} />
      <Route path="/jobs" component={JobList} />
      <Route path="/jobs/:id" component={JobPage} />
      <Route path="/restore" component={RestorePage} />
      <Route path="/policies" component={PolicyList} />
      <Route path="/policies/:id" component={PolicyEdit} />
      <Route path="/clients" component={ClientList} />
      <Route path="/clients/:id" component={ClientEdit} />
      <Route path="/repositories" component={RepositoryList} />
      <Route path="/repositories/:id" component={RepositoryEdit} />
      <Route path="/schedules" component={ScheduleList} />
      <Route path="/schedules/:id" component={ScheduleEdit} />
      <Route path="/relays" component={RelayList} />
      <Route path="/relays/:id" component={RelayEdit} />
      <Route path="/users" component={UserList} />
      <Route path="/users/:id" component={UserEdit} />
      <Route path="/settings" component={SettingsPage} />
      <Route path="/profile" component={ProfilePage} />
      <Route path="/tokens" component={TokensPage} />
      <Route default component={NotFound} />
    </Router>
  );
}
