/** The counts at the top of the dashboard, each a link to the list it counts, filtered. */
import { FAILED_STATUSES, RUNNING_STATUSES, type Counts } from './load';

interface Card {
  href: string;
  label: string;
  value: string;
  detail?: string;
  tone?: 'ok' | 'warn' | 'err';
}

export function CountCards({ counts }: { counts: Counts | null }) {
  const n = (v: number | undefined) => (v === undefined ? '…' : v.toLocaleString());
  const c = counts ?? undefined;
  const cards: Card[] = [
    { href: '/clients', label: 'Clients', value: n(c?.clients) },
    { href: '/policies', label: 'Policies', value: n(c?.policies) },
    { href: `/jobs?status=${RUNNING_STATUSES}`, label: 'Running jobs', value: n(c?.running), tone: c?.running ? 'ok' : undefined },
    {
      href: `/jobs?status=${FAILED_STATUSES}`,
      label: 'Failed jobs, last 24 h',
      value: c ? `${c.failedRecent}${c.failedRecentCapped ? '+' : ''}` : '…',
      detail: c ? `${c.failedTotal.toLocaleString()} failed, error or lost in all kept jobs` : undefined,
      tone: c?.failedRecent ? 'err' : undefined,
    },
    { href: '/clients?overdue=true', label: 'Overdue clients', value: n(c?.overdue), tone: c?.overdue ? 'warn' : undefined },
  ];
  return (
    <ul class="dash-counts" aria-label="Counts">
      {cards.map((card) => (
        <li key={card.label}>
          <a class={`dash-count${card.tone ? ` tone-${card.tone}` : ''}`} href={card.href} data-count={card.label}>
            <span class="dash-count-value">{card.value}</span>
            <span class="dash-count-label">{card.label}</span>
            {card.detail && <span class="dash-count-detail">{card.detail}</span>}
          </a>
        </li>
      ))}
    </ul>
  );
}
