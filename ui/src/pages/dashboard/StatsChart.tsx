/**
 * Backups over the last 30 days (UTC): successes and failures per day, and the bytes of
 * the successful ones. The summary sentence and the table are the text alternative of
 * the canvas; the chart code (uPlot) is fetched on demand, after the counts are shown.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatBytes } from '../../lib/format';
import type { StatsChartHandle } from './stats-chart';
import { useThemeVersion } from './theme-watch';
import type { StatsDay } from './types';

type ChartModule = typeof import('./stats-chart');

export function StatsChart({ days }: { days: StatsDay[] | null }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<StatsChartHandle | null>(null);
  const [mod, setMod] = useState<ChartModule | null>(null);
  const [loadError, setLoadError] = useState(false);
  const theme = useThemeVersion();
  // Polls return new arrays every few seconds; redraw only when the numbers changed.
  const key = days ? JSON.stringify(days) : '';
  const stable = useMemo(() => days, [key]);

  useEffect(() => {
    import('./stats-chart').then((m) => setMod(() => m), () => setLoadError(true));
  }, []);

  // Built again on a theme change: its colours are read from CSS variables when built.
  useEffect(() => {
    if (!mod || !box.current || !stable) return;
    chart.current = mod.createStatsChart(box.current, stable);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mod, theme, stable !== null]);

  useEffect(() => {
    if (stable) chart.current?.setDays(stable);
  }, [stable]);

  const total = useMemo(() => totals(stable ?? []), [stable]);
  return (
    <section class="card dash-chart" aria-labelledby="dash-chart-h">
      <h2 id="dash-chart-h">Backups, last 30 days</h2>
      <figure>
        <figcaption class="dash-chart-summary" id="dash-chart-summary">
          {stable ? summaryText(stable.length, total) : 'Loading…'}
        </figcaption>
        {/* The canvas says nothing to a screen reader; the caption and table above and below do. */}
        {!mod && !loadError && <p class="hint dash-chart-wait">Loading the chart…</p>}
        {loadError && <p class="hint">The chart could not be loaded; the table below has the same numbers.</p>}
        {/* uPlot owns what is inside this element; Preact renders nothing into it. */}
        <div class="dash-chart-box" ref={box} aria-hidden="true" />
      </figure>
      {stable && (
        <details class="dash-chart-table">
          <summary>The 30 days as a table</summary>
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Backups per UTC day, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Day (UTC)</th>
                  <th scope="col" class="num">Successful</th>
                  <th scope="col" class="num">Failed</th>
                  <th scope="col" class="num">Original size</th>
                  <th scope="col" class="num">Deduplicated size</th>
                </tr>
              </thead>
              <tbody>
                {stable.map((d) => (
                  <tr key={d.date}>
                    <td data-label="Day (UTC)">{d.date}</td>
                    <td data-label="Successful" class="num">{d.successful}</td>
                    <td data-label="Failed" class="num">{d.failed}</td>
                    <td data-label="Original size" class="num">{formatBytes(d.original_size)}</td>
                    <td data-label="Deduplicated size" class="num">{formatBytes(d.deduplicated_size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </section>
  );
}

interface Totals {
  successful: number;
  failed: number;
  original: number;
  deduplicated: number;
}

function totals(days: StatsDay[]): Totals {
  const t = { successful: 0, failed: 0, original: 0, deduplicated: 0 };
  for (const d of days) {
    t.successful += d.successful;
    t.failed += d.failed;
    t.original += d.original_size;
    t.deduplicated += d.deduplicated_size;
  }
  return t;
}

function summaryText(n: number, t: Totals): string {
  const backups = `${n} days: ${t.successful} successful, ${t.failed} failed backups`;
  if (!t.successful) return `${backups}.`;
  return `${backups}; ${formatBytes(t.original)} backed up, ${formatBytes(t.deduplicated)} of it new after deduplication.`;
}
