/** The frame of every signed-in page: skip link, navigation (by role), account menu, theme. */
import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { useSession } from '../lib/session';
import { applyTheme, loadTheme, type Theme } from './theme';

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/', label: 'Dashboard' },
  { href: '/jobs', label: 'Jobs' },
  { href: '/policies', label: 'Policies' },
  { href: '/clients', label: 'Clients' },
  { href: '/repositories', label: 'Repositories' },
  { href: '/schedules', label: 'Schedules' },
  { href: '/relays', label: 'Relays' },
  { href: '/users', label: 'Users', admin: true },
  { href: '/settings', label: 'Settings', admin: true },
];

export function Layout({ children }: { children: ComponentChildren }) {
  const { me, can, signOut } = useSession();
  const { path } = useLocation();
  const [theme, setTheme] = useState<Theme>(loadTheme());
  const [menuOpen, setMenuOpen] = useState(false);
  const current = (href: string) => (href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`));
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Borg Orchestrator
        </a>
        <button type="button" class="menu-toggle secondary" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" class={menuOpen ? 'open' : ''} onClick={() => setMenuOpen(false)}>
          <ul>
            {NAV.filter((n) => !n.admin || can('admin')).map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account">
          <label class="inline theme">
            <span class="sr-only">Theme</span>
            <select
              value={theme}
              onChange={(e) => {
                const t = e.currentTarget.value as Theme;
                setTheme(t);
                applyTheme(t);
              }}
            >
              <option value="system">System theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <a href="/profile" aria-current={current('/profile') ? 'page' : undefined} title={`${me.email} (${me.role})`}>
            {me.name || me.email}
          </a>
          <span class="badge muted">{me.role}</span>
          <button type="button" class="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** A page's heading row with its main actions on the right. */
export function PageHeader({ title, children }: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children && <div class="actions">{children}</div>}
    </div>
  );
}
