/** First-run setup (creates the admin with the setup token) and sign-in. */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api';
import type { Me } from '../../lib/types';
import { Field, FormError, useForm } from '../../components/form';

export function Setup({ onDone }: { onDone: () => void }) {
  const [token] = useState(() => {
    const t = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
    // Out of the address bar (and history) at once: it must not linger in a screenshot or a shared link.
    if (t) history.replaceState(null, '', location.pathname);
    return t;
  });
  const form = useForm({ token, email: '', name: '', password: '' });
  const { values: v, set } = form;
  const submit = async (e: Event) => {
    e.preventDefault();
    const me = await form.submit((body) => api<Me>('POST', '/setup', body));
    if (me) {
      history.replaceState(null, '', '/');
      onDone();
    }
  };
  return (
    <main id="main" class="card narrow">
      <form onSubmit={submit} noValidate>
        <h1>Create the first admin</h1>
        <p>The setup token was printed by <code>npm start</code> (or is the <code>SETUP_TOKEN</code> secret).</p>
        <FormError error={form.error} shown={['token', 'email', 'name', 'password']} />
        <Field label="Setup token" name="token" error={form.error}>
          <input value={v.token} onInput={(e) => set('token', e.currentTarget.value)} required autocomplete="off" />
        </Field>
        <Field label="Email" name="email" error={form.error}>
          <input type="email" value={v.email} onInput={(e) => set('email', e.currentTarget.value)} required autocomplete="username" />
        </Field>
        <Field label="Name" name="name" error={form.error}>
          <input value={v.name} onInput={(e) => set('name', e.currentTarget.value)} autocomplete="name" />
        </Field>
        <Field label="Password" name="password" error={form.error} hint="10 characters or more.">
          <input type="password" value={v.password} onInput={(e) => set('password', e.currentTarget.value)} required autocomplete="new-password" />
        </Field>
        <button type="submit" disabled={form.busy}>
          Create admin
        </button>
      </form>
    </main>
  );
}

export function Login({ onDone }: { onDone: () => void }) {
  const form = useForm({ email: '', password: '' });
  const { values: v, set } = form;
  const submit = async (e: Event) => {
    e.preventDefault();
    if (await form.submit((body) => api<Me>('POST', '/auth/login', body))) onDone();
  };
  return (
    <main id="main" class="card narrow">
      <form onSubmit={submit} noValidate>
        <h1>Sign in</h1>
        <FormError error={form.error} shown={['email', 'password']} />
        <Field label="Email" name="email" error={form.error}>
          <input type="email" value={v.email} onInput={(e) => set('email', e.currentTarget.value)} required autocomplete="username" />
        </Field>
        <Field label="Password" name="password" error={form.error}>
          <input type="password" value={v.password} onInput={(e) => set('password', e.currentTarget.value)} required autocomplete="current-password" />
        </Field>
        <button type="submit" disabled={form.busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
