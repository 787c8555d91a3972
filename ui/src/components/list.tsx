/**
 * The list every object page uses: search, filters, sortable columns, keyset paging
 * (the API's `next`/`previous` links), an enabled toggle for admins, and optional
 * polling so statuses change live. Search, filters and sort live in the URL's query,
 * so a filtered list can be bookmarked and Back works.
 */
import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, pageLinkPath, qs } from '../lib/api';
import { useNotices } from '../lib/notices';
import { useSession } from '../lib/session';
import { usePolling } from '../lib/poll';
import type { Page, Tracked } from '../lib/types';

export interface Column<T> {
  label: string;
  /** The API's `order_by` field; the header becomes a sort button. */
  sort?: string;
  render: (row: T) => ComponentChildren;
  class?: string;
}

export interface Filter {
  /** The API query parameter. */
  name: string;
  label: string;
  /** [value, label]; the first is usually ['', 'Any']. */
  options: [string, string][];
}

/** A yes/no filter of a boolean query parameter (`enabled`, `ready`, …): Any, yes, no. */
export function yesNoFilter(name: string, label: string, yes: string, no: string): Filter {
  return { name, label, options: [['', 'Any'], ['true', yes], ['false', no]] };
}

interface ListProps<T> {
  /** e.g. `/clients` */
  endpoint: string;
  /** What one row is called, for labels ("client"). */
  noun: string;
  /** Its plural, when not `${noun}s` ("policies"). */
  plural?: string;
  columns: Column<T>[];
  filters?: Filter[];
  search?: boolean;
  defaultOrder?: string;
  /** Admins (only) get a switch per row that PATCHes `{enabled}`; pass the row's name for its label. */
  toggle?: (row: T) => string;
  pollMs?: number;
  pageSize?: number;
  /** Extra query parameters fixed by the page (not shown as filters). */
  fixed?: Record<string, string>;
  /** Bumped by the page to reload (after a create/delete elsewhere on the page). */
  reloadKey?: number;
  empty?: ComponentChildren;
}

export function ListView<T extends Tracked & { enabled?: boolean }>(props: ListProps<T>) {
  const { endpoint, columns, filters = [], search = false, defaultOrder, pollMs, pageSize = 25, fixed = {}, noun } = props;
  const plural = props.plural ?? `${noun}s`;
  const loc = useLocation();
  const q = loc.query;
  const [page, setPage] = useState<Page<T> | null>(null);
  const [cursorPath, setCursorPath] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [searchText, setSearchText] = useState(q.search ?? '');
  const notices = useNotices();
  const isAdmin = useSession().can('admin');
  const toggle = isAdmin ? props.toggle : undefined;
  const order = q.order_by ?? defaultOrder ?? '';

  const params: Record<string, string> = { ...fixed, page_size: String(pageSize) };
  if (order) params.order_by = order;
  if (search && q.search) params.search = q.search;
  for (const f of filters) if (q[f.name]) params[f.name] = q[f.name]!;
  const firstPath = endpoint + qs(params);
  const path = cursorPath ?? firstPath;

  // Only the newest request's answer is shown: a poll started before a filter change can
  // answer after the request for the new filter.
  const seq = useRef(0);
  const load = async () => {
    const mine = ++seq.current;
    try {
      const result = await api<Page<T>>('GET', path);
      if (mine !== seq.current) return;
      setPage(result);
      setError(null);
    } catch (err) {
      if (mine !== seq.current) return;
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  // A new query (filters, sort, search) starts again at the first page.
  useEffect(() => setCursorPath(null), [firstPath]);
  useEffect(() => {
    if (!pollMs) void load();
  }, [path, props.reloadKey]);
  usePolling(() => (pollMs ? load() : undefined), pollMs ?? 1e9, [path, props.reloadKey]);

  // Typing is applied 300 ms after it stops. The box follows the URL when something else
  // changed it (Back/Forward), not when the URL merely caught up with an older keystroke.
  const pushedSearch = useRef(q.search ?? '');
  useEffect(() => {
    if ((q.search ?? '') === pushedSearch.current) return;
    pushedSearch.current = q.search ?? '';
    setSearchText(q.search ?? '');
  }, [q.search]);
  useEffect(() => {
    if ((q.search ?? '') === searchText) return;
    const t = setTimeout(() => {
      pushedSearch.current = searchText;
      setQuery({ search: searchText });
    }, 300);
    return () => clearTimeout(t);
  }, [searchText]);

  // The query as it is when called (a delayed search must not undo a filter chosen meanwhile).
  const latestQuery = useRef(q);
  latestQuery.current = q;
  function setQuery(patch: Record<string, string>) {
    const next = { ...latestQuery.current, ...patch };
    for (const k of Object.keys(next)) if (!next[k]) delete next[k];
    loc.route(loc.path + qs(next), true);
  }

  const sortBy = (field: string) => setQuery({ order_by: order === field ? `-${field}` : field });

  const setEnabled = async (row: T, enabled: boolean) => {
    try {
      await api('PATCH', `${endpoint}/${row.id}`, { enabled });
      notices.success(`${toggle!(row)} ${enabled ? 'enabled' : 'disabled'}.`);
    } catch (err) {
      notices.error(err);
    }
    // Either way the switch shows what the API now says (a refused change flips back).
    await load();
  };

  return (
    <div class="list">
      {(search || filters.length > 0) && (
        <div class="list-tools" role="search">
          {search && (
            <label class="inline">
              Search {plural}
              <input type="search" aria-label={`Search ${plural}`} value={searchText} onInput={(e) => setSearchText(e.currentTarget.value)} placeholder="Search…" />
            </label>
          )}
          {filters.map((f) => (
            <label class="inline" key={f.name}>
              {f.label}
              <select aria-label={f.label} value={q[f.name] ?? ''} onChange={(e) => setQuery({ [f.name]: e.currentTarget.value })}>
                {f.options.map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
      )}
      {error && (
        <p class="form-error" role="alert">
          Could not load the {plural}: {error}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.label} class={c.class} aria-sort={!c.sort ? undefined : order === c.sort ? 'ascending' : order === `-${c.sort}` ? 'descending' : 'none'}>
                  {c.sort ? (
                    <button type="button" class="sort" onClick={() => sortBy(c.sort!)}>
                      {c.label}
                      <span aria-hidden="true">{order === c.sort ? ' ▲' : order === `-${c.sort}` ? ' ▼' : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
              {toggle && <th>Enabled</th>}
            </tr>
          </thead>
          <tbody>
            {page?.results.map((row) => (
              <tr key={row.id} data-id={row.id}>
                {columns.map((c) => (
                  <td key={c.label} class={c.class} data-label={c.label}>
                    {c.render(row)}
                  </td>
                ))}
                {toggle && (
                  <td data-label="Enabled">
                    <label class="switch">
                      <input type="checkbox" role="switch" checked={!!row.enabled} onChange={(e) => setEnabled(row, e.currentTarget.checked)} aria-label={`Enabled: ${toggle(row)}`} />
                    </label>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page && page.results.length === 0 && <p class="empty">{props.empty ?? `No ${plural}.`}</p>}
      {!page && !error && <p class="empty">Loading…</p>}
      {page && (
        <nav class="pager" aria-label={`${plural} pages`}>
          <span>
            {page.count}
            {page.count_exact ? '' : '+'} {page.count === 1 ? noun : plural}
          </span>
          <button type="button" class="secondary" disabled={!page.previous} onClick={() => page.previous && setCursorPath(pageLinkPath(page.previous))}>
            Previous
          </button>
          <button type="button" class="secondary" disabled={!page.next} onClick={() => page.next && setCursorPath(pageLinkPath(page.next))}>
            Next
          </button>
        </nav>
      )}
    </div>
  );
}
