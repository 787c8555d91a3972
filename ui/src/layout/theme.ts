/** Light, dark or the system's choice; remembered in localStorage, applied as data-theme on <html>. */
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'bo-theme';

export function loadTheme(): Theme {
  const t = localStorage.getItem(KEY);
  return t === 'light' || t === 'dark' ? t : 'system';
}

export function applyTheme(t: Theme) {
  if (t === 'system') {
    document.documentElement.removeAttribute('data-theme');
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.setAttribute('data-theme', t);
    localStorage.setItem(KEY, t);
  }
}
