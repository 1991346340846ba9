/**
 * The page's one connection to the backend's live stream (`GET /events/stream`, Server-Sent Events): every change
 * the page cares about bumps `version` — at most once per `DEBOUNCE_MS`, so a burst of a thousand changes costs one
 * reload — and `status` says whether the page is live. EventSource reconnects by itself and resumes from the last
 * event id; when the backend refused the stream (an error answer closes it for good) a new one is opened after
 * `REOPEN_MS`, resuming from the same id. A `reset` (the backend no longer keeps what was missed) bumps `version` too.
 */
import { useEffect, useRef, useState } from 'react';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/** A `change` event: what happened, and the grid and grid square it concerns (null when unknown). */
export interface LiveChange {
  event_type: string;
  grid_uuid: string | null;
  gridsquare_uuid: string | null;
  payload: Record<string, unknown>;
}

const DEBOUNCE_MS = 10;
const REOPEN_MS = 2000;

export function liveUrl(grid: string | undefined, lastEventId: string | undefined): string {
  const q = new URLSearchParams();
  if (grid) q.set('grid_uuid', grid);
  if (lastEventId) q.set('last_event_id', lastEventId);
  const s = q.toString();
  return `/events/stream${s ? `?${s}` : ''}`;
}

/**
 * `grid`: only that grid's changes (and those whose grid is unknown); `relevant`: a further filter (read at each
 * event, so it may close over props).
 */
export function useLive(grid?: string, relevant?: (change: LiveChange) => boolean): { status: LiveStatus; version: number } {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [version, setVersion] = useState(0);
  const filter = useRef(relevant);
  filter.current = relevant;

  useEffect(() => {
    let source: EventSource | undefined;
    let lastEventId: string | undefined;
    let bump: ReturnType<typeof setTimeout> | undefined;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const changed = (): void => {
      bump ??= setTimeout(() => {
        bump = undefined;
        setVersion((v) => v + 1);
      }, DEBOUNCE_MS);
    };
    const open = (): void => {
      const es = new EventSource(liveUrl(grid, lastEventId));
      source = es;
      es.addEventListener('connection', (e) => {
        lastEventId = e.lastEventId || lastEventId;
        setStatus('live');
        if ((JSON.parse(e.data) as { from: string }).from === 'reset') changed();
      });
      es.addEventListener('change', (e) => {
        lastEventId = e.lastEventId || lastEventId;
        const change = JSON.parse(e.data) as LiveChange;
        if (!filter.current || filter.current(change)) changed();
      });
      es.onerror = () => {
        if (stopped) return;
        setStatus('reconnecting');
        if (es.readyState !== EventSource.CLOSED) return;
        reopen = setTimeout(open, REOPEN_MS);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(bump);
      clearTimeout(reopen);
      source?.close();
    };
  }, [grid]);

  return { status, version };
}
