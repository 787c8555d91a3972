/**
 * Entry of the single-page UI: decides between first-run setup, sign-in and the app,
 * then routes. Pages are in pages/<capability>/, loaded on demand (routes.tsx).
 */
import { render } from 'preact';
import { ErrorBoundary, LocationProvider } from 'preact-iso';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler } from './lib/api';
import { NoticeProvider } from './lib/notices';
import { roleAtLeast, SessionProvider, type Session } from './lib/session';
import type { Me } from './lib/types';
import { Layout } from './layout/Layout';
import { applyTheme, loadTheme } from './layout/theme';
import { Login, Setup } from './pages/auth';
import { Routes } from './routes';
import './style.css';

applyTheme(loadTheme());

function App() {
  const [state, setState] = useState<'loading' | 'setup' | 'login' | 'in' | 'offline'>('loading');
  const [me, setMe] = useState<Me | null>(null);

  const loadMe = async () => {
    try {
      setMe(await api<Me>('GET', '/me'));
      setState('in');
    } catch {
      setState('login');
    }
  };

  useEffect(() => {
    setUnauthorizedHandler(() => setState('login'));
    (async () => {
      try {
        const ping = await api<{ setup_needed: boolean }>('GET', '/ping');
        if (ping.setup_needed) return setState('setup');
      } catch {
        return setState('offline');
      }
      await loadMe();
    })();
  }, []);

  const session = useMemo<Session | null>(
    () =>
      me && {
        me,
        can: (role) => roleAtLeast(me, role),
        refresh: loadMe,
        signOut: async () => {
          try {
            await api('POST', '/auth/logout');
          } finally {
            setMe(null);
            setState('login');
          }
        },
      },
    [me],
  );

  if (state === 'loading') return <p class="card narrow">Loading…</p>;
  if (state === 'offline') return <p class="card narrow" role="alert">The server could not be reached. Reload to try again.</p>;
  if (state === 'setup') return <Setup onDone={loadMe} />;
  if (state === 'login' || !session) return <Login onDone={loadMe} />;
  return (
    <SessionProvider value={session}>
      <LocationProvider>
        <Layout>
          <ErrorBoundary>
            <Routes />
          </ErrorBoundary>
        </Layout>
      </LocationProvider>
    </SessionProvider>
  );
}

render(
  <NoticeProvider>
    <App />
  </NoticeProvider>,
  document.getElementById('app')!,
);
