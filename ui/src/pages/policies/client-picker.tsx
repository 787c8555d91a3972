/**
 * The policy's clients: a multi-select made of checkboxes, filtered by a search box and
 * loaded page by page from /clients (a site may have thousands), plus the selection as
 * removable chips so a selected client stays visible whatever the filter shows.
 * When a repository is chosen only clients on its relay are listed: the API refuses the others.
 */
import { useEffect, useState, useRef } from 'preact/hooks';
import { fieldId, fieldReasons } from '../../components/form';
import { api, pageLinkPath, qs, type ApiFailure } from '../../lib/api';
import type { Page } from '../../lib/types';
import type { ClientRef } from './types';

interface Props {
  selected: number[];
  onChange: (ids: number[]) => void;
  /** Names of clients seen so far, shared with the page (per-client options need them). */
  known: Map<number, ClientRef>;
  onSeen: (rows: ClientRef[]) => void;
  relay: number | undefined;
  relayName?: string;
  error: ApiFailure | null;
  readOnly: boolean;
}

const PAGE = 50;

export function ClientPicker({ selected, onChange, known, onSeen, relay, relayName, error, readOnly }: Props) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [rows, setRows] = useState<ClientRef[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);

  // A new search makes older answers (and a "Load more" of the old search) stale.
  const generation = useRef(0);
  const load = async (path: string, append: boolean) => {
    const mine = append ? generation.current : ++generation.current;
    setLoading(true);
    try {
      const page = await api<Page<ClientRef>>('GET', path);
      if (mine !== generation.current) return;
      onSeen(page.results);
      setRows((r) => (append ? [...r, ...page.results] : page.results));
      setNext(page.next ? pageLinkPath(page.next) : null);
      setCount(page.count);
      setLoadError(null);
    } catch (err) {
      if (mine === generation.current) setLoadError(err instanceof Error ? err.message : String(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => {
    if (readOnly) return;
    void load(`/clients${qs({ search: query, relay, order_by: 'hostname', page_size: PAGE })}`, false);
  }, [query, relay, readOnly]);

  const isSelected = (id: number) => selected.includes(id);
  const toggle = (id: number, on: boolean) => onChange(on ? [...selected, id] : selected.filter((s) => s !== id));
  const name = (id: number) => known.get(id)?.hostname ?? `client #${id}`;
  const reasons = fieldReasons(error, 'clients');
  const errId = `${fieldId('clients')}-error`;

  return (
    <fieldset class={`client-picker${reasons.length ? ' has-error' : ''}`} aria-describedby={reasons.length ? errId : undefined}>
      <legend>Clients ({selected.length} selected)</legend>
      {!readOnly && (
        <p class="hint">
          {relay ? `Listing the clients on relay ${relayName ?? `#${relay}`}, the repository's relay.` : 'Choose a repository to list only the clients on its relay.'} Each enabled
          client gets its own backup job; bandwidth limits are set per client.
        </p>
      )}
      {selected.length > 0 ? (
        <ul class="chips" aria-label="Selected clients">
          {[...selected].sort((a, b) => name(a).localeCompare(name(b))).map((id) => {
            const c = known.get(id);
            const elsewhere = relay !== undefined && c && c.relay !== relay;
            return (
              <li key={id} class={elsewhere ? 'warn' : ''}>
                <a href={`/clients/${id}`}>{name(id)}</a>
                {elsewhere && <span class="badge warn">other relay</span>}
                {c && !c.enabled && <span class="badge muted">disabled</span>}
                {!readOnly && (
                  <button type="button" class="icon" aria-label={`Remove ${name(id)}`} onClick={() => toggle(id, false)}>
                    ×
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      ) : (
        <p class="empty">No client selected.</p>
      )}
      {!readOnly && (
        <>
          <label class="inline picker-search">
            Filter clients
            <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="Hostname or IP…" />
          </label>
          {loadError && (
            <p class="form-error" role="alert">
              Could not load the clients: {loadError}
            </p>
          )}
          <ul class="checks" aria-label="Clients to choose from" aria-busy={loading}>
            {rows.map((c) => (
              <li key={c.id}>
                <label>
                  <input type="checkbox" checked={isSelected(c.id)} onChange={(e) => toggle(c.id, e.currentTarget.checked)} />
                  {c.hostname}
                </label>
                {!c.enabled && <span class="badge muted">disabled</span>}
                {c.enabled && c.ready === false && <span class="badge warn">not ready</span>}
              </li>
            ))}
          </ul>
          {rows.length === 0 && !loading && <p class="empty">{query ? `No client matches “${query}”.` : 'No client on this relay.'}</p>}
          <p class="picker-more">
            {count !== null && (
              <span class="hint">
                Showing {rows.length} of {count}
              </span>
            )}
            {next && (
              <button type="button" class="secondary" disabled={loading} onClick={() => void load(next, true)}>
                Load more clients
              </button>
            )}
          </p>
        </>
      )}
      {reasons.length > 0 && (
        <p class="field-error" id={errId} data-field="clients">
          {reasons.join(' ')}
        </p>
      )}
    </fieldset>
  );
}
