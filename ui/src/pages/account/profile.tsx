/** /profile: the signed-in user's own account (any role): name, notifications, password. */
import { api, ApiFailure } from '../../lib/api';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Me } from '../../lib/types';
import { Field, FormError, useForm } from '../../components/form';
import { PageHeader } from '../../layout/Layout';
import type { NotificationPreferences } from '../../../../shared/domain';
import { fullPreferences, NotificationFields } from './notifications';
import './account.css';

export function ProfilePage() {
  useTitle('Profile');
  const { me } = useSession();
  return (
    <section>
      <PageHeader title="Profile">
        <a class="button secondary" href="/tokens">
          API tokens
        </a>
      </PageHeader>
      <div class="card">
        <dl class="meta">
          <dt>Email</dt>
          <dd>{me.email}</dd>
          <dt>Role</dt>
          <dd>
            <span class="badge muted">{me.role}</span>
          </dd>
        </dl>
        <p class="hint">An admin changes your email and role. Scripts use <a href="/tokens">API tokens</a>, not your password.</p>
      </div>
      <div class="account-forms">
        <ProfileForm me={me} />
        <PasswordForm />
      </div>
    </section>
  );
}

function ProfileForm({ me }: { me: Me }) {
  const { refresh } = useSession();
  const notices = useNotices();
  const form = useForm<{ name: string; notifications: NotificationPreferences }>({ name: me.name, notifications: fullPreferences(me.notifications) });
  const save = async (e: Event) => {
    e.preventDefault();
    const saved = await form.submit((v) => api<Me>('PATCH', '/me', v));
    if (saved) {
      // The header shows the name: reload the session's copy of the account.
      await refresh();
      notices.success('Profile saved.');
    }
  };
  return (
    <form class="card" onSubmit={save} noValidate aria-labelledby="profile-form-title">
      <h2 id="profile-form-title">Name and notifications</h2>
      <FormError error={form.error} shown={['name', 'notifications']} />
      <Field label="Name" name="name" error={form.error} hint="Shown in the header and the audit log.">
        <input type="text" autocomplete="name" value={form.values.name} onInput={(e) => form.set('name', e.currentTarget.value)} />
      </Field>
      <NotificationFields value={form.values.notifications} onChange={(v) => form.set('notifications', v)} error={form.error} />
      <div class="form-actions">
        <button type="submit" disabled={form.busy}>
          {form.busy ? 'Saving…' : 'Save profile'}
        </button>
      </div>
    </form>
  );
}

const EMPTY_PASSWORDS = { current_password: '', password: '', password_repeat: '' };

function PasswordForm() {
  const notices = useNotices();
  const form = useForm(EMPTY_PASSWORDS);
  const change = async (e: Event) => {
    e.preventDefault();
    const { current_password, password, password_repeat } = form.values;
    // The one check the API cannot make: that the new password was typed as meant.
    if (password !== password_repeat) {
      form.setError(new ApiFailure(400, { error: { code: 'invalid', message: 'The new password was not changed.', fields: { password_repeat: ['Does not match the new password.'] } } }));
      return;
    }
    const saved = await form.submit(() => api<Me>('PATCH', '/me', { current_password, password }));
    if (saved) {
      form.setAll(EMPTY_PASSWORDS);
      notices.success('Password changed. Your other sessions were signed out.');
    }
  };
  return (
    <form class="card" onSubmit={change} noValidate aria-labelledby="password-form-title">
      <h2 id="password-form-title">Change password</h2>
      <FormError error={form.error} shown={['current_password', 'password', 'password_repeat']} />
      <Field label="Current password" name="current_password" error={form.error}>
        <input type="password" autocomplete="current-password" value={form.values.current_password} onInput={(e) => form.set('current_password', e.currentTarget.value)} />
      </Field>
      <Field label="New password" name="password" error={form.error} hint="At least 10 characters; a long passphrase is best.">
        <input type="password" autocomplete="new-password" value={form.values.password} onInput={(e) => form.set('password', e.currentTarget.value)} />
      </Field>
      <Field label="Repeat the new password" name="password_repeat" error={form.error}>
        <input type="password" autocomplete="new-password" value={form.values.password_repeat} onInput={(e) => form.set('password_repeat', e.currentTarget.value)} />
      </Field>
      <div class="form-actions">
        <button type="submit" disabled={form.busy}>
          {form.busy ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}
