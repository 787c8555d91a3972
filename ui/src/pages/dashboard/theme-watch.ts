/**
 * A number that changes whenever the page's colours may have: the theme chosen in the
 * header (data-theme on <html>) or the system's light/dark preference. A canvas does not
 * follow CSS variables by itself, so the chart is drawn again when this changes.
 */
import { useEffect, useState } from 'preact/hooks';

export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', bump);
    };
  }, []);
  return version;
}
