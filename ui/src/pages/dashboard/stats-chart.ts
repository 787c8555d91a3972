/**
 * The 30-day chart, drawn with uPlot. This module (with uPlot and its CSS) is loaded on
 * demand by StatsChart, so the dashboard's counts show before the chart code arrives and
 * the first page stays small. Colours come from the theme's CSS variables when the chart
 * is built; StatsChart builds it again when the theme changes.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytes } from '../../lib/format';
import type { StatsDay } from './types';

const HEIGHT = 240;
const HALF_DAY_S = 43_200;

export interface StatsChartHandle {
  setDays: (days: StatsDay[]) => void;
  destroy: () => void;
}

/** Draws into `el` at its width, and follows its width (ResizeObserver). */
export function createStatsChart(el: HTMLElement, days: StatsDay[]): StatsChartHandle {
  const palette = themePalette();
  const u = new uPlot(chartOptions(palette, Math.max(200, el.clientWidth)), toData(days), el);
  // The palette drawn, for tests and debugging: it changes with the theme.
  el.dataset.palette = palette.ok;
  const resize = new ResizeObserver(() => {
    const width = Math.max(200, el.clientWidth);
    if (width !== u.width) u.setSize({ width, height: HEIGHT });
  });
  resize.observe(el);
  return {
    setDays: (d) => u.setData(toData(d)),
    destroy: () => {
      resize.disconnect();
      u.destroy();
    },
  };
}

interface Palette {
  muted: string;
  line: string;
  ok: string;
  err: string;
  accent: string;
  warn: string;
}

function themePalette(): Palette {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { muted: v('--muted', '#57606a'), line: v('--line', '#d0d7de'), ok: v('--ok', '#1a7f37'), err: v('--err', '#b3261e'), accent: v('--accent', '#0b5cd5'), warn: v('--warn', '#9a6700') };
}

/** Days as uPlot columns: x in seconds at UTC midnight, then one column per series. */
function toData(days: StatsDay[]): uPlot.AlignedData {
  return [
    days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000),
    days.map((d) => d.successful),
    days.map((d) => d.failed),
    days.map((d) => d.original_size),
    days.map((d) => d.deduplicated_size),
  ];
}

/** A hex colour with an alpha (bars are filled a little lighter than their outline). */
const withAlpha = (c: string, a: number) => (/^#[0-9a-f]{6}$/i.test(c) ? `${c}${Math.round(a * 255).toString(16).padStart(2, '0')}` : c);

/** "2 MiB" rather than "2.00 MiB" on axis ticks. */
const shortBytes = (n: number) => formatBytes(n).replace(/\.0+ /, ' ');

const BYTE_INCRS = [0, 1, 2, 3, 4, 5].flatMap((k) => [1, 2, 5, 10, 20, 50, 100, 200, 500].map((m) => m * 1024 ** k));
const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

function chartOptions(p: Palette, width: number): uPlot.Options {
  const axis = { stroke: p.muted, font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif', grid: { stroke: p.line, width: 1 }, ticks: { stroke: p.line, width: 1 } };
  const bars = uPlot.paths.bars!;
  // The legend shows the day under the cursor, and today's numbers when there is none.
  const atDay =
    (fmt: (v: number) => string) =>
    (u: uPlot, v: number | null, sidx: number, idx: number | null): string => {
      const col = u.data[sidx] as (number | null | undefined)[] | undefined;
      const value = idx === null ? col?.[col.length - 1] : v;
      return value === null || value === undefined ? '—' : fmt(value);
    };
  const count = atDay(String);
  const bytes = atDay(formatBytes);
  return {
    width,
    height: HEIGHT,
    // Stats are per UTC day: label the axis in UTC so a day is not shown as the evening before.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: {
      x: { time: true, range: (_u, min, max) => [min - HALF_DAY_S, max + HALF_DAY_S] },
      count: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] },
      bytes: { range: (_u, _min, max) => [0, Math.max(1024, max * 1.1)] },
    },
    series: [
      { label: 'Day (UTC)', value: atDay((ts) => new Date(ts * 1000).toISOString().slice(0, 10)) },
      { label: 'Successful', scale: 'count', stroke: p.ok, fill: withAlpha(p.ok, 0.75), width: 1, paths: bars({ size: [0.4, 16], align: -1 }), points: { show: false }, value: count },
      { label: 'Failed', scale: 'count', stroke: p.err, fill: withAlpha(p.err, 0.75), width: 1, paths: bars({ size: [0.4, 16], align: 1 }), points: { show: false }, value: count },
      { label: 'Original size', scale: 'bytes', stroke: p.accent, width: 2, points: { show: false }, value: bytes },
      { label: 'Deduplicated size', scale: 'bytes', stroke: p.warn, width: 2, dash: [6, 4], points: { show: false }, value: bytes },
    ],
    axes: [
      { ...axis, space: 60 },
      { ...axis, scale: 'count', label: 'Backups', incrs: COUNT_INCRS, values: (_u, splits) => splits.map((n) => String(n)) },
      { ...axis, scale: 'bytes', side: 1, label: 'Bytes', size: 72, grid: { show: false }, incrs: BYTE_INCRS, values: (_u, splits) => splits.map(shortBytes) },
    ],
    legend: { live: true },
  };
}
