/**
 * The output of a job, windowed: only the rows in view (plus an overscan) are in the DOM,
 * inside a spacer as tall as every line, so 100,000+ lines scroll as lightly as 100.
 * Rows have one fixed height (long lines are cut with an ellipsis; the download has them
 * whole), so nothing above the viewport ever changes height while lines stream in.
 *
 * "Follow the tail" keeps the last line in view as lines arrive; scrolling up (wheel,
 * keys, scrollbar) turns it off, reaching the end or the End button turns it on again.
 * The window is computed from where the view will be after this render (the bottom, when
 * following), so a new frame never shows rows from the previous position.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { OutputLine } from '../../lib/job-events';
import { useLogVersion, type LogStore } from './log-store';

/** px; the CSS gives .log-row exactly this height. */
export const ROW_HEIGHT = 20;
const OVERSCAN = 25;
/** Browsers cap an element's height (Firefox near 17.9 M px): beyond this the scrollbar is scaled. */
const MAX_SCROLL_PX = 8_000_000;
/** Text put in the DOM per row; the row shows far less, the download has all of it. */
const MAX_TEXT = 2000;
const MARKERS: Record<OutputLine['stream'], string> = { stdout: '', stderr: 'err', system: 'sys' };

interface Geometry {
  /** Height of every line, and the spacer's height (smaller when scaled). */
  real: number;
  virt: number;
  /** Real px per scrolled px (1 unless scaled). */
  ratio: number;
  maxTop: number;
}

function geometry(total: number, viewH: number): Geometry {
  const real = total * ROW_HEIGHT;
  const virt = Math.min(real, MAX_SCROLL_PX);
  const maxTop = Math.max(0, virt - viewH);
  const ratio = virt < real ? Math.max(0, real - viewH) / Math.max(1, maxTop) : 1;
  return { real, virt, ratio, maxTop };
}

export function LogViewer({ store, label, live }: { store: LogStore; label: string; live: boolean }) {
  useLogVersion(store);
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(480);
  const [follow, setFollowState] = useState(true);
  const followRef = useRef(true);
  /** The real offset of the top when not following, kept across renders (matters when scaled). */
  const anchor = useRef(0);
  const setFollow = (on: boolean) => {
    followRef.current = on;
    setFollowState(on);
  };

  const total = store.lines.length;
  const g = geometry(total, viewH);
  // Where the view is after this render: the bottom when following, else where the user left it.
  const top = follow ? g.maxTop : Math.min(g.maxTop, g.ratio === 1 ? scrollTop : anchor.current / g.ratio);
  const offset = top * g.ratio;
  const first = Math.max(0, Math.floor(offset / ROW_HEIGHT) - OVERSCAN);
  const end = Math.min(total, Math.ceil((offset + viewH) / ROW_HEIGHT) + OVERSCAN);
  const shift = top + first * ROW_HEIGHT - offset;
  const rows = store.lines.slice(first, end);
  const digits = Math.max(6, String(total ? store.lines[total - 1]!.line : 0).length);

  // Only the page moves the view: to the bottom when following, or to keep the anchor when
  // the scrollbar is scaled. Otherwise the user's own scrolling is never written back.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && (follow || g.ratio !== 1) && Math.abs(el.scrollTop - top) >= 1) el.scrollTop = top;
  });

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight || 480));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // While following, the page itself moves the view (to the bottom) and a scroll event is
  // that move: it must never turn following off (one read at the wrong moment, e.g. as new
  // lines grew the box, did so in a test). Only the user's own intent stops following (wheel
  // up, keys, grabbing the scrollbar, a touch, the checkbox). A scroll event can also come
  // after the viewer unmounted (the ref is null by then).
  const onScroll = () => {
    const el = box.current;
    if (!el || followRef.current) return;
    const st = el.scrollTop;
    if (st > 0 && st >= g.maxTop - ROW_HEIGHT / 2) setFollow(true);
    anchor.current = st * g.ratio;
    setScrollTop(st);
  };
  // Intent to read back is clear before the scroll event: stop following at once.
  const stopFollowing = () => followRef.current && setFollow(false);
  const toEnd = () => {
    setFollow(true);
    box.current?.focus({ preventScroll: true });
  };
  const toStart = () => {
    anchor.current = 0;
    setScrollTop(0);
    setFollow(false);
    if (box.current) box.current.scrollTop = 0;
  };

  return (
    <div class="log">
      <div class="log-tools">
        <label class="log-follow">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow the tail
        </label>
        <button type="button" class="secondary" onClick={toStart} disabled={total === 0}>
          Go to first line
        </button>
        <button type="button" class="secondary" onClick={toEnd} disabled={total === 0}>
          Go to last line
        </button>
        {/* The number last, after fixed words: as it grows nothing after it moves (no layout
            shift while streaming); the connection badge above says whether more may come. */}
        <span class="log-count" aria-live="off">
          Lines: {total.toLocaleString()}
        </span>
      </div>
      <div
        ref={box}
        class="log-box"
        role="region"
        aria-label={label}
        aria-describedby="log-legend"
        tabIndex={0}
        style={{ '--ln-width': `${digits}ch` }}
        onScroll={onScroll}
        onWheel={(e) => e.deltaY < 0 && stopFollowing()}
        onKeyDown={(e) => ['ArrowUp', 'PageUp', 'Home'].includes(e.key) && stopFollowing()}
        onPointerDown={(e) => e.target === box.current && stopFollowing()}
        onTouchStart={stopFollowing}
      >
        <div class="log-spacer" style={{ height: `${g.virt}px` }}>
          <div class="log-window" style={{ transform: `translateY(${shift}px)` }}>
            {rows.map((l) => (
              <div key={l.line} class={`log-row s-${l.stream}`} data-line={l.line} title={`${l.time}\n${l.text.length > MAX_TEXT ? `${l.text.slice(0, MAX_TEXT)}…` : l.text}`}>
                <span class="log-ln">{l.line}</span>
                <span class="log-mark">{MARKERS[l.stream]}</span>
                <span class="log-text">{l.text.length > MAX_TEXT ? `${l.text.slice(0, MAX_TEXT)}…` : l.text}</span>
              </div>
            ))}
          </div>
        </div>
        {total === 0 && <p class="log-empty">{live ? 'No output yet.' : 'No output.'}</p>}
      </div>
      <p class="hint" id="log-legend">
        Each row is one line, cut to the width of the view (hover for the whole line, or download the log). Markers: <strong>err</strong> standard error (borg logs there),{' '}
        <strong>sys</strong> notes from the orchestrator and the relay.
      </p>
    </div>
  );
}
