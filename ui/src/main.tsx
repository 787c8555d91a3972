/**
 * Entry of the single-page UI. For now: first-run setup, sign-in and an overview;
 * the object pages come with the UI issue.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure } from './api';
import './style.css';

interface Me {
  email: string;
  name: string;
  role: string;
}

function FieldErrors({ error, field }: { error: ApiFailure | null; field: string }) {
  const reasons = error?.body.error.fields?.[field];
  return reasons ? <p class="field-error" id={`${field}-error`}>{reasons.join(' ')}</p> : null;
}

function Setup({ onDone }: { onDone: (me: Me) => void }) {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const [error, setError] = useState<ApiFailure | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    try {
      onDone(await api<Me>('POST', '/setup', { token: f.get('token'), email: f.get('email'), name: f.get('name'), password: f.get('password') }));
      history.replaceState(null, '', '/');
    } catch (err) {
      setError(err as ApiFailure);
    }
  };
  return (
    <form onSubmit={submit} class="card">
      <h1>Create the first admin</h1>
      <p>The setup token was printed by <code>npm start</code>.</p>
      <label>Setup token<input name="token" defaultValue={token} required autocomplete="off" /></label>
      <FieldErrors error={error} field="token" />
      <label>Email<input name="email" type="email" required autocomplete="username" /></label>
      <FieldErrors error={error} field="email" />
      <label>Name<input name="name" autocomplete="name" /></label>
      <label>Password (10 characters or more)<input name="password" type="password" required minLength={10} autocomplete="new-password" /></label>
      <FieldErrors error={error} field="password" />
      {error && !error.body.error.fields && <p role="alert" class="field-error">{error.message}</p>}
      <button type="submit">Create admin</button>
    </form>
  );
}

function Login({ onDone }: { onDone: (me: Me) => void }) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    try {
      onDone(await api<Me>('POST', '/auth/login', { email: f.get('email'), password: f.get('password') }));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form onSubmit={submit} class="card">
      <h1>Sign in</h1>
      <label>Email<input name="email" type="email" required autocomplete="username" /></label>
      <label>Password<input name="password" type="password" required autocomplete="current-password" /></label>
      {error && <p role="alert" class="field-error">{error}</p>}
      <button type="submit">Sign in</button>
    </form>
  );
}

function Overview({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const [counts, setCounts] = useState<Record<string, number>>({});
  useEffect(() => {
    for (const kind of ['clients', 'repositories', 'schedules', 'policies', 'jobs']) {
      api<{ count: number }>('GET', `/${kind}?page_size=1`).then((r) => setCounts((c) => ({ ...c, [kind]: r.count })));
    }
  }, []);
  return (
    <main class="card">
      <h1>Borg Orchestrator</h1>
      <p>
        Signed in as {me.email} ({me.role}).{' '}
        <button type="button" onClick={async () => { await api('POST', '/auth/logout'); onLogout(); }}>Sign out</button>
      </p>
      <ul class="counts">
        {Object.entries(counts).map(([k, v]) => (
          <li key={k}><b>{v}</b> {k}</li>
        ))}
      </ul>
      <p><a href="/api/docs">REST API documentation</a> · <a href="/api/v1/openapi.json">OpenAPI document</a></p>
    </main>
  );
}

function App() {
  const [state, setState] = useState<'loading' | 'setup' | 'login' | 'in'>('loading');
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    (async () => {
      const ping = await api<{ setup_needed: boolean }>('GET', '/ping');
      if (ping.setup_needed) return setState('setup');
      try {
        setMe(await api<Me>('GET', '/me'));
        setState('in');
      } catch {
        setState('login');
      }
    })();
  }, []);
  const signedIn = (m: Me) => {
    setMe(m);
    setState('in');
  };
  if (state === 'loading') return <p class="card">Loading…</p>;
  if (state === 'setup') return <Setup onDone={signedIn} />;
  if (state === 'login' || !me) return <Login onDone={signedIn} />;
  return <Overview me={me} onLogout={() => setState('login')} />;
}

render(<App />, document.getElementById('app')!);
