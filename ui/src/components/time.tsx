/** A moment shown relative ("3 min ago") with the exact time in its title (hover, and screen readers via datetime). */
import { formatDate, formatRelative } from '../lib/format';

export function Ago({ iso, none = 'never' }: { iso: string | null | undefined; none?: string }) {
  if (!iso) return <span class="muted">{none}</span>;
  return (
    <time dateTime={iso} title={formatDate(iso)}>
      {formatRelative(iso)}
    </time>
  );
}
