/**
 * /users/:id (a number or `new`), admin only. The API keeps one active admin; when an
 * admin demotes or deactivates themselves the form asks first, and any refusal (the last
 * active admin) is shown as the API wrote it.
 */
import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Role } from '../../lib/types';
import { useConfirm } from '../../components/confirm';
import { Field, FormError, useForm } from '../../components/form';
import { PageHeader } from '../../layout/Layout';
import type { NotificationPreferences } from '../../../../shared/domain';
import { fullPreferences, NotificationFields } from '../account/notifications';
import type { User } from './types';
import './users.css';

export function UserEdit() {
  const id = useRoute().params.id ?? 'new';
  return <UserLoader key={id} id={id} />;
}

function UserLoader({ id }: { id: string }) {
  const isNew = id === 'new';
  const { can } = useSession();
  const [user, setUser] = useState<User | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useTitle(isNew ? 'New user' : (user?.email ?? 'User'));

  useEffect(() => {
    if (isNew || !can('admin')) return;
    if (!/^\d+$/.test(id)) return setLoadError('There is no user with this id.');
    api<User>('GET', `/users/${id}`).then(setUser, (err) => setLoadError(errorMessage(err)));
  }, [id]);

  if (!can('admin')) {
    return (
      <section>
        <PageHeader title="User" />
        <p>Only admins manage users. Your own account is on <a href="/profile">your profile</a>.</p>
      </section>
    );
  }
  if (loadError) {
    return (
      <section>
        <PageHeader title="User" />
        <p class="form-error" role="alert">
          Could not load the user: {loadError} <a href="/users">Back to the users</a>.
        </p>
      </section>
    );
  }
  if (!isNew && !user) return <p class="empty">Loading…</p>;
  return <UserForm user={user} />;
}

interface Values {
  email: string;
  name: string;
  role: Role;
  active: boolean;
  password: string;
  notifications: NotificationPreferences;
}

const ROLE_HINT = 'Viewer: reads everything but users and the audit log. Operator: also launches, cancels, restores. Admin: also changes objects, users and settings.';

function UserForm({ user }: { user: User | null }) {
  const { me, refresh } = useSession();
  const { route } = useLocation();
  const notices = useNotices();
  const [confirmEl, ask] = useConfirm();
  const isSelf = user?.id === me.id;
  const form = useForm<Values>({
    email: user?.email ?? '',
    name: user?.name ?? '',
    role: user?.role ?? 'viewer',
    active: user?.active ?? true,
    password: '',
    notifications: fullPreferences(user?.notifications),
  });
  const { values, set } = form;

  const save = async (e: Event) => {
    e.preventDefault();
    const locksOut = isSelf && (values.role !== 'admin' || !values.active);
    if (locksOut) {
      const ok = await ask({
        title: values.active ? 'Give up your admin role?' : 'Deactivate your own account?',
        body: values.active ? 'You will no longer be able to manage users, settings or objects.' : 'You will be signed out and unable to sign in again.',
        confirm: values.active ? 'Change my role' : 'Deactivate me',
        danger: true,
      });
      if (!ok) return;
    }
    const saved = await form.submit((v) => {
      if (!user) return api<User>('POST', '/users', v);
      // An empty password field keeps the current password.
      const { password, ...rest } = v;
      return api<User>('PATCH', `/users/${user.id}`, password ? v : rest);
    });
    if (!saved) return;
    notices.success(`User ${saved.email} ${user ? 'saved' : 'created'}.`);
    if (isSelf) await refresh();
    route('/users');
  };

  const remove = async () => {
    if (!user) return;
    const ok = await ask({ title: `Delete user ${user.email}?`, body: 'Their API tokens are deleted too. Their name stays in the audit log.', confirm: 'Delete', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `/users/${user.id}`);
      notices.success(`User ${user.email} deleted.`);
      route('/users');
    } catch (err) {
      notices.error(err);
    }
  };

  return (
    <section>
      <PageHeader title={user ? `User ${user.email}` : 'New user'}>
        {user && !isSelf && (
          <button type="button" class="danger" onClick={remove}>
            Delete
          </button>
        )}
      </PageHeader>
      <form class="card narrow-form" onSubmit={save} noValidate aria-label="User">
        <FormError error={form.error} shown={['email', 'name', 'role', 'active', 'password', 'notifications']} />
        <Field label="Email" name="email" error={form.error} hint="Used to sign in and for notifications.">
          <input type="email" autocomplete="off" required value={values.email} onInput={(e) => set('email', e.currentTarget.value)} />
        </Field>
        <Field label="Name" name="name" error={form.error}>
          <input type="text" autocomplete="off" value={values.name} onInput={(e) => set('name', e.currentTarget.value)} />
        </Field>
        <Field label="Role" name="role" error={form.error} hint={ROLE_HINT}>
          <select value={values.role} onChange={(e) => set('role', e.currentTarget.value as Role)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <Field label="Active" name="active" error={form.error} hint="An inactive user cannot sign in and their sessions end; their tokens stop working.">
          <input type="checkbox" checked={values.active} onChange={(e) => set('active', e.currentTarget.checked)} />
        </Field>
        <Field
          label={user ? 'New password' : 'Password'}
          name="password"
          error={form.error}
          hint={user ? 'Leave empty to keep the current one. Setting one signs the user out everywhere.' : 'At least 10 characters. Tell the user; they can change it on their profile.'}
        >
          <input type="password" autocomplete="new-password" required={!user} value={values.password} onInput={(e) => set('password', e.currentTarget.value)} />
        </Field>
        <NotificationFields legend="Notifications: email when" value={values.notifications} onChange={(v) => set('notifications', v)} error={form.error} />
        <div class="form-actions">
          <button type="submit" disabled={form.busy}>
            {form.busy ? 'Saving…' : user ? 'Save' : 'Create user'}
          </button>
          <a class="button secondary" href="/users">
            Cancel
          </a>
        </div>
      </form>
      {confirmEl}
    </section>
  );
}
