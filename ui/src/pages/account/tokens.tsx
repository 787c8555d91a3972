/**
 * /tokens: the signed-in user's API tokens (any role). A new token's secret is in the
 * create response only, so it is shown once, here, and lives only in this page's state:
 * a reload shows just its prefix, like the API.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../lib/api';
import { formatDate } from '../../lib/format';
import { useNotices } from '../../lib/notices';
import { useSession } from '../../lib/session';
import { useTitle } from '../../lib/title';
import type { Tracked } from '../../lib/types';
import { useConfirm } from '../../components/confirm';
import { Field, FormError, numberOrNull, useForm } from '../../components/form';
import { ListView, type Column } from '../../components/list';
import { PageHeader } from '../../layout/Layout';
import { CopyButton } from '../../components/copy';
import { Ago } from '../../components/time';
import './account.css';

interface ApiToken extends Tracked {
  user: number;
  name: string;
  scope: 'read' | 'write';
  prefix: string;
  last_used: string | null;
  expires: string | null;
  revoked: string | null;
}
type CreatedToken = ApiToken & { token: string };

export function TokensPage() {
  useTitle('API tokens');
  const { me } = useSession();
  const notices = useNotices();
  const [confirmEl, ask] = useConfirm();
  const [reloadKey, setReloadKey] = useState(0);
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const revoke = async (t: ApiToken) => {
    const ok = await ask({ title: `Revoke token ${t.name}?`, body: 'Scripts using it are refused from now on. This cannot be undone.', confirm: 'Revoke', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `/tokens/${t.id}`);
      notices.success(`Token ${t.name} revoked.`);
      if (created?.id === t.id) setCreated(null);
      setReloadKey((k) => k + 1);
    } catch (err) {
      notices.error(err);
    }
  };

  const columns: Column<ApiToken>[] = [
    { label: 'Name', sort: 'name', render: (t) => t.name },
    { label: 'Scope', render: (t) => <span class={`badge ${t.scope === 'write' ? 'warn' : 'muted'}`}>{t.scope}</span> },
    { label: 'Prefix', render: (t) => <code>{t.prefix}…</code> },
    { label: 'Created', sort: 'created', render: (t) => <time dateTime={t.created}>{formatDate(t.created)}</time> },
    { label: 'Last used', render: (t) => <Ago iso={t.last_used} /> },
    { label: 'Expires', render: (t) => (t.expires ? <time dateTime={t.expires}>{formatDate(t.expires)}</time> : 'never') },
    { label: 'State', render: (t) => <TokenState token={t} /> },
    {
      label: 'Actions',
      render: (t) =>
        t.revoked ? null : (
          <button type="button" class="secondary" onClick={() => revoke(t)} aria-label={`Revoke ${t.name}`}>
            Revoke
          </button>
        ),
    },
  ];

  return (
    <section>
      <PageHeader title="API tokens">
        <a class="button secondary" href="/profile">
          Profile
        </a>
      </PageHeader>
      <p class="hint">
        For scripts and CI: send <code>Authorization: Bearer bo_…</code>. A token acts as you, within your role; a read token may only GET.
      </p>
      {created && <NewToken token={created} onDone={() => setCreated(null)} />}
      <CreateTokenForm
        readOnly={me.scope === 'read'}
        onCreated={(t) => {
          setCreated(t);
          setReloadKey((k) => k + 1);
        }}
      />
      <h2>Your tokens</h2>
      {/* An admin may list everyone's tokens; this page is about one's own. */}
      <ListView<ApiToken>
        endpoint="/tokens"
        noun="token"
        columns={columns}
        fixed={{ user: String(me.id) }}
        filters={[{ name: 'revoked', label: 'Revoked', options: [['', 'Any'], ['false', 'Not revoked'], ['true', 'Revoked']] }]}
        reloadKey={reloadKey}
        empty="No tokens yet."
      />
      {confirmEl}
    </section>
  );
}

function TokenState({ token }: { token: ApiToken }) {
  if (token.revoked) return <span class="badge err" title={formatDate(token.revoked)}>revoked</span>;
  if (token.expires && new Date(token.expires).getTime() <= Date.now()) return <span class="badge warn">expired</span>;
  return <span class="badge ok">active</span>;
}

function CreateTokenForm({ readOnly, onCreated }: { readOnly: boolean; onCreated: (t: CreatedToken) => void }) {
  const form = useForm({ name: '', scope: 'read' as 'read' | 'write', expires_in_days: '90' });
  const create = async (e: Event) => {
    e.preventDefault();
    const t = await form.submit((v) => api<CreatedToken>('POST', '/tokens', { name: v.name, scope: v.scope, expires_in_days: numberOrNull(v.expires_in_days) ?? undefined }));
    if (t) {
      form.setAll({ name: '', scope: 'read', expires_in_days: '90' });
      onCreated(t);
    }
  };
  return (
    <form class="card token-create" onSubmit={create} noValidate aria-labelledby="token-create-title">
      <h2 id="token-create-title">New token</h2>
      <FormError error={form.error} shown={['name', 'scope', 'expires_in_days']} />
      <div class="token-fields">
        <Field label="Token name" name="name" error={form.error} hint="What uses it, e.g. “nightly report script”.">
          <input type="text" required value={form.values.name} onInput={(e) => form.set('name', e.currentTarget.value)} />
        </Field>
        <Field label="Scope" name="scope" error={form.error} hint={readOnly ? 'A read-only session can only make read tokens.' : 'Read: GET only. Write: everything your role may do.'}>
          <select value={form.values.scope} onChange={(e) => form.set('scope', e.currentTarget.value as 'read' | 'write')}>
            <option value="read">read</option>
            <option value="write" disabled={readOnly}>
              write
            </option>
          </select>
        </Field>
        <Field label="Expires in (days)" name="expires_in_days" error={form.error} hint="1 to 366; every token expires.">
          <input type="number" inputMode="numeric" min={1} max={366} step={1} value={form.values.expires_in_days} onInput={(e) => form.set('expires_in_days', e.currentTarget.value)} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" disabled={form.busy}>
          {form.busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}

/** The secret, once: visible as text (selectable) and copyable. Focused so it is announced. */
function NewToken({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), [token.id]);
  return (
    <div class="card new-token" role="region" aria-labelledby="new-token-title" tabIndex={-1} ref={ref}>
      <h2 id="new-token-title">Token {token.name} created</h2>
      <p>
        <strong>Copy it now: it is not shown again.</strong> Scope <span class="badge muted">{token.scope}</span>, expires {formatDate(token.expires)}.
      </p>
      <div class="copy-row">
        <code data-testid="new-token">{token.token}</code>
        <CopyButton text={token.token} label="token" />
      </div>
      <div class="form-actions">
        <button type="button" class="secondary" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </div>
  );
}
