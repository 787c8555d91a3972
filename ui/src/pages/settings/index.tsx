/**
 * /settings: every setting the API has, grouped as the API orders them, each with an
 * input of its type. Admins edit (one Save per group); others read. Adding a setting in a
 * migration needs no change here.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorMessage } from '../../lib/api';
import { formatDate } from '../../lib/format';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Page } from '../../lib/types';
import { PageHeader } from '../../layout/Layout';
import { SettingsGroupForm } from './group-form';
import { groupTitle, type Setting } from './types';
import './settings.css';

/** Groups in the API's order (it sorts by group, then by each setting's order). */
function byGroup(settings: Setting[]): [string, Setting[]][] {
  const groups = new Map<string, Setting[]>();
  for (const s of settings) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  return [...groups.entries()];
}

export function SettingsPage() {
  useTitle('Settings');
  const isAdmin = useSession().can('admin');
  const [settings, setSettings] = useState<Setting[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<Page<Setting>>('GET', '/settings').then(
      (p) => setSettings(p.results),
      (err) => setError(errorMessage(err)),
    );
  }, []);

  const merge = (updated: Setting[]) => setSettings((all) => all && all.map((s) => updated.find((u) => u.key === s.key) ?? s));

  return (
    <section>
      <PageHeader title="Settings" />
      {error && (
        <p class="form-error" role="alert">
          Could not load the settings: {error}
        </p>
      )}
      {!settings && !error && <p class="empty">Loading…</p>}
      {settings && (
        <div class="settings-groups">
          {byGroup(settings).map(([group, list]) =>
            isAdmin ? <SettingsGroupForm key={group} group={group} settings={list} onSaved={merge} /> : <SettingsGroupView key={group} group={group} settings={list} />,
          )}
        </div>
      )}
    </section>
  );
}

/** Read-only, for non-admins (the API lets any role read settings, never a secret's value). */
function SettingsGroupView({ group, settings }: { group: string; settings: Setting[] }) {
  const show = (s: Setting) => {
    if (s.type === 'secret') return s.has_value ? 'set' : 'not set';
    if (s.type === 'boolean') return s.value ? 'yes' : 'no';
    return s.value === '' || s.value === null ? '—' : String(s.value);
  };
  return (
    <section class="card settings-group" aria-labelledby={`settings-${group}`}>
      <h2 id={`settings-${group}`}>{groupTitle(group)}</h2>
      <dl class="meta">
        {settings.map((s) => [
          <dt key={`${s.key}-t`} title={s.description}>
            {s.label}
          </dt>,
          <dd key={`${s.key}-d`} title={s.modified ? `changed ${formatDate(s.modified)}` : undefined}>
            {show(s)}
          </dd>,
        ])}
      </dl>
    </section>
  );
}
