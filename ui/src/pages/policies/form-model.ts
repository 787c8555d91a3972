/**
 * The policy form's values and their translation to and from the API's body. Text inputs
 * hold strings (one entry a line for lists); the body gets the API's types. Values the
 * browser cannot make sense of are sent as typed, so the API names the field (one set of
 * rules: the API's).
 *
 * The options of every type live side by side in the form, so switching the type and back
 * loses nothing; only the current type's are sent.
 */
import { ApiFailure } from '../../lib/api';
import { lines, numberOrNull } from '../../components/form';
import type { Policy, PolicyType } from './types';

/** A write-only secret: never shown, only whether one is stored. */
export interface SecretEdit {
  /** The API says one is stored (has_password). */
  has: boolean;
  /** A new value typed in; empty keeps the stored one. */
  value: string;
  /** Remove the stored one (sends null). */
  remove: boolean;
}

/** MySQL credentials and databases, for the policy and for each client's override. */
export interface DbEntry {
  user: string;
  port: string;
  databases: string;
  password: SecretEdit;
}

export interface OptionValues {
  folders: string;
  excludes: string;
  /** mysql: the policy's credentials; `databases` also postgresql's list. */
  db: DbEntry;
  /** mysql / postgresql overrides by client id (postgresql uses `databases` only). */
  perClient: Record<string, DbEntry>;
  command: string;
  stdinName: string;
  /** proxmox: VM ids by client id, comma or space separated. */
  vmids: Record<string, string>;
  /** vm: libvirt domains by client id, one a line. */
  domains: Record<string, string>;
}

export interface PolicyValues {
  name: string;
  type: PolicyType;
  schedule: string;
  repository: string;
  clients: number[];
  opts: OptionValues;
  keep_within: string;
  keep_hourly: string;
  keep_daily: string;
  keep_weekly: string;
  keep_monthly: string;
  keep_yearly: string;
  pre_hook: string;
  post_hook: string;
  compression: string;
  catalog_enabled: boolean;
  prune_enabled: boolean;
  mode_pull: boolean;
  max_duration_seconds: string;
  jitter_seconds: string;
  expected_interval_hours: string;
  enabled: boolean;
}

export const KEEP_FIELDS = ['keep_hourly', 'keep_daily', 'keep_weekly', 'keep_monthly', 'keep_yearly'] as const;

const noSecret = (): SecretEdit => ({ has: false, value: '', remove: false });
export const emptyDb = (): DbEntry => ({ user: '', port: '', databases: '', password: noSecret() });

/** The create defaults of the API (worker/api/policies createPolicy). */
export function emptyValues(): PolicyValues {
  return {
    name: '',
    type: 'folders',
    schedule: '',
    repository: '',
    clients: [],
    opts: { folders: '', excludes: '', db: emptyDb(), perClient: {}, command: '', stdinName: 'stdin', vmids: {}, domains: {} },
    keep_within: '',
    keep_hourly: '',
    keep_daily: '',
    keep_weekly: '',
    keep_monthly: '',
    keep_yearly: '',
    pre_hook: '',
    post_hook: '',
    compression: 'lz4',
    catalog_enabled: true,
    prune_enabled: true,
    mode_pull: false,
    max_duration_seconds: '',
    jitter_seconds: '0',
    expected_interval_hours: '',
    enabled: true,
  };
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const list = (v: unknown, sep = '\n') => (Array.isArray(v) ? v.map(String).join(sep) : '');
const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function dbFrom(o: Record<string, unknown>): DbEntry {
  return { user: str(o.user), port: str(o.port), databases: list(o.databases), password: { has: o.has_password === true, value: '', remove: false } };
}

export function valuesFromPolicy(p: Policy): PolicyValues {
  const o = p.options;
  const perClient: Record<string, DbEntry> = {};
  for (const [id, entry] of Object.entries(record(o.per_client))) perClient[id] = dbFrom(record(entry));
  const map = (v: unknown, sep: string) => Object.fromEntries(Object.entries(record(v)).map(([id, l]) => [id, list(l, sep)]));
  return {
    name: p.name,
    type: p.type,
    schedule: String(p.schedule),
    repository: String(p.repository),
    clients: [...p.clients],
    opts: {
      folders: list(o.folders),
      excludes: list(o.excludes),
      db: dbFrom(o),
      perClient,
      command: str(o.command),
      stdinName: str(o.stdin_name) || 'stdin',
      vmids: map(o.vmids, ', '),
      domains: map(o.domains, '\n'),
    },
    keep_within: str(p.keep_within),
    keep_hourly: str(p.keep_hourly),
    keep_daily: str(p.keep_daily),
    keep_weekly: str(p.keep_weekly),
    keep_monthly: str(p.keep_monthly),
    keep_yearly: str(p.keep_yearly),
    pre_hook: str(p.pre_hook),
    post_hook: str(p.post_hook),
    compression: p.compression,
    catalog_enabled: p.catalog_enabled,
    prune_enabled: p.prune_enabled,
    mode_pull: p.mode_pull,
    max_duration_seconds: str(p.max_duration_seconds),
    jitter_seconds: str(p.jitter_seconds),
    expected_interval_hours: str(p.expected_interval_hours),
    enabled: p.enabled,
  };
}

/** A whole number, or the text as typed (so the API names the field instead of the browser guessing). */
const intOrText = (s: string): number | string => (/^-?\d+$/.test(s.trim()) ? Number(s.trim()) : s);
const idOrNull = (s: string): number | null => (s ? Number(s) : null);

/** Seals one secret for the chosen repository's relay; `field` names it for errors. */
export type Sealer = (clear: string, field: string) => Promise<string>;

/** Puts a secret edit into an options entry: sealed when typed, null when removed, absent (kept) otherwise. */
async function putSecret(into: Record<string, unknown>, s: SecretEdit, field: string, seal: Sealer | null) {
  if (s.value) {
    if (!seal) throw localFailure({ [field]: ['Cannot be sent: no relay to seal it for.'] });
    into.password_sealed = await seal(s.value, `${field}`);
  } else if (s.remove && s.has) into.password = null;
}

function dbBody(e: DbEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.user.trim()) out.user = e.user.trim();
  if (e.port.trim()) out.port = intOrText(e.port);
  if (lines(e.databases).length) out.databases = lines(e.databases);
  return out;
}

/**
 * The options of `v.type` as the API takes them. With `seal`, typed passwords are sealed in;
 * without, secrets are left out (for comparing against the stored options).
 */
export async function buildOptions(v: PolicyValues, seal: Sealer | null, withSecrets: boolean): Promise<Record<string, unknown>> {
  const o = v.opts;
  const selected = v.clients.map(String);
  switch (v.type) {
    case 'rootfs':
    case 'config':
    case 'mail':
      return { excludes: lines(o.excludes) };
    case 'folders':
      return { folders: lines(o.folders), excludes: lines(o.excludes) };
    case 'piped':
      return { command: o.command, stdin_name: o.stdinName.trim() || 'stdin' };
    case 'proxmox':
    case 'vm': {
      const source = v.type === 'proxmox' ? o.vmids : o.domains;
      const map: Record<string, unknown[]> = {};
      for (const id of selected) {
        const text = source[id]?.trim();
        if (text) map[id] = v.type === 'proxmox' ? text.split(/[\s,]+/).filter(Boolean).map(intOrText) : lines(text);
      }
      return v.type === 'proxmox' ? { vmids: map } : { domains: map };
    }
    case 'postgresql': {
      const perClient: Record<string, unknown> = {};
      for (const id of selected) {
        const dbs = lines(o.perClient[id]?.databases ?? '');
        if (dbs.length) perClient[id] = { databases: dbs };
      }
      return { databases: lines(o.db.databases), per_client: perClient };
    }
    case 'mysql': {
      const out = dbBody(o.db);
      if (withSecrets) await putSecret(out, o.db.password, 'options.password', seal);
      const perClient: Record<string, unknown> = {};
      for (const id of selected) {
        const e = o.perClient[id];
        if (!e) continue;
        const entry = dbBody(e);
        if (withSecrets) await putSecret(entry, e.password, `options.per_client.${id}.password`, seal);
        // An entry whose only content is its stored password must still be sent, or the password goes.
        if (Object.keys(entry).length || (e.password.has && !e.password.remove)) perClient[id] = entry;
      }
      out.per_client = perClient;
      return out;
    }
  }
}

/** Every field but the options, as the API takes them. */
export function buildFields(v: PolicyValues): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: v.name,
    type: v.type,
    schedule: idOrNull(v.schedule),
    repository: idOrNull(v.repository),
    clients: [...v.clients].sort((a, b) => a - b),
    keep_within: v.keep_within.trim() || null,
    pre_hook: v.pre_hook.trim() ? v.pre_hook : null,
    post_hook: v.post_hook.trim() ? v.post_hook : null,
    compression: v.compression.trim(),
    catalog_enabled: v.catalog_enabled,
    prune_enabled: v.prune_enabled,
    mode_pull: v.mode_pull,
    max_duration_seconds: numberOrNull(v.max_duration_seconds),
    jitter_seconds: numberOrNull(v.jitter_seconds) ?? 0,
    expected_interval_hours: numberOrNull(v.expected_interval_hours),
    enabled: v.enabled,
  };
  for (const k of KEEP_FIELDS) body[k] = numberOrNull(v[k]);
  return body;
}

/** The whole body of a create. */
export async function createBody(v: PolicyValues, seal: Sealer | null) {
  return { ...buildFields(v), options: await buildOptions(v, seal, true) };
}

/**
 * The body of an update: only what changed from `initial` (so the audit log names what was
 * edited, and an untouched schedule keeps its due run). Options go whole when any of them,
 * the type or a secret changed: the API replaces them as a whole.
 */
export async function updateBody(initial: PolicyValues, v: PolicyValues, seal: Sealer | null): Promise<Record<string, unknown>> {
  const before = buildFields(initial);
  const after = buildFields(v);
  const body: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(after)) if (JSON.stringify(value) !== JSON.stringify(before[k])) body[k] = value;
  const optionsBefore = JSON.stringify(await buildOptions(initial, null, false));
  const options = await buildOptions(v, seal, true);
  if (body.type !== undefined || JSON.stringify(options) !== optionsBefore) body.options = options;
  return body;
}

/** Stored passwords are sealed to one relay: moving to another relay's repository needs them again. */
export function secretsNeedingReentry(v: PolicyValues): string[] {
  if (v.type !== 'mysql') return [];
  const out: string[] = [];
  const needs = (s: SecretEdit) => s.has && !s.value && !s.remove;
  if (needs(v.opts.db.password)) out.push('options.password');
  for (const id of v.clients.map(String)) {
    const e = v.opts.perClient[id];
    if (e && needs(e.password)) out.push(`options.per_client.${id}.password`);
  }
  return out;
}

/** An error found in the browser, in the API's shape, so it shows beside its field like the API's. */
export function localFailure(fields: Record<string, string[]>, message = 'Some fields need attention.'): ApiFailure {
  return new ApiFailure(400, { error: { code: 'invalid', message, fields } });
}
