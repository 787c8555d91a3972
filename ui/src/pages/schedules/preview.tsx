/**
 * The schedule editor's live preview: what the crontab means and when it will run,
 * asked of the API (`GET /schedules/preview`) as the user types, so the words and the
 * times are exactly the scheduler's (croner + cronstrue on the Worker).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiFailure, qs } from '../../lib/api';
import type { SchedulePreview } from './types';
import { splitLocal, utcText } from './time';

export interface PreviewState {
  preview: SchedulePreview | null;
  /** The API's refusal (400 naming `crontab` and/or `timezone`), shown beside those fields. */
  error: ApiFailure | null;
  loading: boolean;
}

export const PREVIEW_COUNT = 5;

/**
 * Asks for a preview `delayMs` after the last keystroke. Each request is numbered and only
 * the newest one's answer is kept: a slow answer for "0 2 * *" must not replace the one
 * for "0 2 * * *" that came back first.
 */
export function useSchedulePreview(crontab: string, timezone: string, delayMs = 250): PreviewState {
  const [state, setState] = useState<PreviewState>({ preview: null, error: null, loading: false });
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    if (!crontab.trim()) {
      setState({ preview: null, error: null, loading: false });
      return;
    }
    // The previous preview stays on screen while the next one loads (nothing jumps).
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(async () => {
      try {
        const preview = await api<SchedulePreview>('GET', `/schedules/preview${qs({ crontab, timezone, count: PREVIEW_COUNT })}`);
        if (mine === latest.current) setState({ preview, error: null, loading: false });
      } catch (err) {
        if (mine !== latest.current) return;
        const failure = err instanceof ApiFailure ? err : new ApiFailure(0, { error: { code: 'error', message: String(err) } });
        setState({ preview: null, error: failure, loading: false });
      }
    }, delayMs);
    return () => clearTimeout(timer);
  }, [crontab, timezone, delayMs]);
  return state;
}

/** The description and the next runs (schedule's wall clock and UTC), or why there are none. */
export function PreviewPanel({ state, crontab }: { state: PreviewState; crontab: string }) {
  const { preview, error, loading } = state;
  return (
    <section class="card schedule-preview" aria-labelledby="preview-title" aria-busy={loading}>
      <h2 id="preview-title">Preview</h2>
      <div aria-live="polite">
        {!crontab.trim() && <p class="hint">Type a crontab or pick a preset to see when it runs.</p>}
        {error && crontab.trim() && <p class="hint">No runs to show: {error.status === 400 ? 'fix the fields marked above.' : error.message}</p>}
        {preview && (
          <p class="schedule-description" data-testid="schedule-description">
            {preview.description ?? <span class="hint">This pattern cannot be put in words, but it is valid.</span>}
          </p>
        )}
      </div>
      {preview && preview.runs.length === 0 && <p class="hint">This crontab does not run again.</p>}
      {preview && preview.runs.length > 0 && (
        <div class="table-wrap">
          <table class="runs">
            <caption class="sr-only">The next {preview.runs.length} runs</caption>
            <thead>
              <tr>
                <th>#</th>
                <th>Local time ({preview.timezone})</th>
                <th>UTC</th>
              </tr>
            </thead>
            <tbody>
              {preview.runs.map((r, i) => {
                const local = splitLocal(r.local);
                return (
                  <tr key={r.utc}>
                    <td data-label="#">{i + 1}</td>
                    <td data-label="Local">
                      {/* One item, so on a phone's stacked row the offset wraps with its time. */}
                      <span>
                        <time dateTime={r.local}>{local.text}</time> <span class="offset">UTC{local.offset}</span>
                      </span>
                    </td>
                    <td data-label="UTC">
                      <time dateTime={r.utc}>{utcText(r.utc)}</time>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
