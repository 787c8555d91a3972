/** Shape of worker/api/settings/index.ts: one typed value per key, grouped and ordered by the API. */
export type SettingType = 'string' | 'integer' | 'boolean' | 'secret';

export interface Setting {
  key: string;
  type: SettingType;
  group: string;
  label: string;
  description: string;
  /** Always null for a secret (write-only); see has_value. */
  value: string | number | boolean | null;
  has_value: boolean;
  modified: string | null;
  modified_by: number | null;
}

/** What an input holds: text for strings, numbers and secrets (typed as text, sent typed), a flag for booleans. */
export type Draft = string | boolean;

export function draftOf(s: Setting): Draft {
  if (s.type === 'boolean') return s.value === true;
  // A secret's input starts empty: empty means "keep the stored one".
  if (s.type === 'secret') return '';
  return s.value === null ? '' : String(s.value);
}

export function isChanged(s: Setting, draft: Draft): boolean {
  return s.type === 'secret' ? draft !== '' : draft !== draftOf(s);
}

/** The JSON value PATCH /settings/{key} takes. A number field left empty sends null, so the API names the field. */
export function valueOf(s: Setting, draft: Draft): string | number | boolean | null {
  if (s.type === 'boolean') return draft === true;
  if (s.type === 'integer') return String(draft).trim() === '' ? null : Number(draft);
  return String(draft);
}

const GROUP_TITLES: Record<string, string> = { general: 'General', jobs: 'Jobs', mail: 'Mail' };
export const groupTitle = (g: string) => GROUP_TITLES[g] ?? g.charAt(0).toUpperCase() + g.slice(1).replace(/_/g, ' ');
