/** /users (admin): who may sign in, with which role. */
import { ListView, yesNoFilter, type Column } from '../../components/list';
import { formatDate } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import { PageHeader } from '../../layout/Layout';
import type { User } from './types';

export function UserList() {
  useTitle('Users');
  const { can, me } = useSession();
  if (!can('admin')) {
    return (
      <section>
        <PageHeader title="Users" />
        <p>Only admins manage users. Your own account is on <a href="/profile">your profile</a>.</p>
      </section>
    );
  }
  const columns: Column<User>[] = [
    {
      label: 'Email',
      sort: 'email',
      render: (u) => (
        <>
          <a href={`/users/${u.id}`}>{u.email}</a>
          {u.id === me.id && <span class="badge muted"> you</span>}
        </>
      ),
    },
    { label: 'Name', render: (u) => u.name || '—' },
    { label: 'Role', render: (u) => <span class={`badge ${u.role === 'admin' ? 'warn' : 'muted'}`}>{u.role}</span> },
    { label: 'Active', render: (u) => <span class={`badge ${u.active ? 'ok' : 'muted'}`}>{u.active ? 'active' : 'inactive'}</span> },
    { label: 'Created', sort: 'created', render: (u) => <time dateTime={u.created}>{formatDate(u.created)}</time> },
  ];
  return (
    <section>
      <PageHeader title="Users">
        <a class="button" href="/users/new">
          New user
        </a>
      </PageHeader>
      <ListView<User>
        endpoint="/users"
        noun="user"
        columns={columns}
        search
        defaultOrder="email"
        filters={[
          { name: 'role', label: 'Role', options: [['', 'Any'], ['viewer', 'Viewer'], ['operator', 'Operator'], ['admin', 'Admin']] },
          yesNoFilter('active', 'Active', 'Active', 'Inactive'),
        ]}
      />
    </section>
  );
}
