/**
 * The page's one connection to the backend's live stream (`GET /events/stream`, Server-Sent Events): every change
 * the page cares about bumps `version` — at most once per `DEBOUNCE_MS`, so a burst of a thousand changes costs one
 * reload — and `status` says whether the page is live. The stream is read with `fetch`, not EventSource, so that it
 * carries the signed-in user's token (`authHeaders()`; a 401 renews the token first). When it ends, fails or is refused,
 * a new one is opened after `RETRY_MS` (`REOPEN_MS` after an error answer), resuming after the last event id it had.
 * A `reset` (the backend no longer keeps what was missed) bumps `version` too.
 * Instruction changes (`instruction.created` / `.updated`: SmartEM's recommendations, their acknowledgements and an
 * operator's decisions) bump `instructions` instead, so the recommendations panel reloads without the page's data.
 */
import { createContext, useEffect, useRef, useState } from 'react';
import { readSse } from '@smartem/client/sse';
import { authHeaders, renewSession } from './auth.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/** A `change` event: what happened, and the grid and grid square it concerns (null when unknown). */
export interface LiveChange {
  event_type: string;
  grid_uuid: string | null;
  gridsquare_uuid: string | null;
  payload: Record<string, unknown>;
}

/** The page's `instructions` count, for the recommendations panel wherever it sits on the page. */
export const InstructionsVersion = createContext(0);

const DEBOUNCE_MS = 10;
const RETRY_MS = 1000;
const REOPEN_MS = 2000;
/** A stream silent this long (the backend sends a heartbeat every 15 s) is taken as lost: a half-open connection. */
const SILENT_MS = 45_000;

export function liveUrl(grid: string | undefined, lastEventId: string | undefined): string {
  const q = new URLSearchParams();
  if (grid) q.set('grid_uuid', grid);
  if (lastEventId) q.set('last_event_id', lastEventId);
  const s = q.toString();
  return `/events/stream${s ? `?${s}` : ''}`;
}

const isInstruction = (change: LiveChange) => change.event_type.startsWith('instruction.');

/** Bumps a version at most once per `DEBOUNCE_MS`. */
function debounced(bump: () => void): { now(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    now: () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        bump();
      }, DEBOUNCE_MS);
    },
    cancel: () => clearTimeout(timer),
  };
}

/**
 * `grid`: only that grid's changes (and those whose grid is unknown); `relevant`: a further filter of the changes
 * that bump `version` (read at each event, so it may close over props); `onChange`: called with each change other
 * than an instruction's as it arrives (a page applying what the change says before its re-read; read at each event too).
 */
export function useLive(
  grid?: string,
  relevant?: (change: LiveChange) => boolean,
  onChange?: (change: LiveChange) => void,
): { status: LiveStatus; version: number; instructions: number } {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [version, setVersion] = useState(0);
  const [instructions, setInstructions] = useState(0);
  const filter = useRef(relevant);
  filter.current = relevant;
  const apply = useRef(onChange);
  apply.current = onChange;

  useEffect(() => {
    const ac = new AbortController();
    let lastEventId: string | undefined;
    const changed = debounced(() => setVersion((v) => v + 1));
    const instructed = debounced(() => setInstructions((v) => v + 1));
    const receive = (event: string, data: string): void => {
      if (event === 'connection') {
        setStatus('live');
        if ((JSON.parse(data) as { from: string }).from === 'reset') {
          changed.now();
          instructed.now();
        }
      } else if (event === 'change') {
        const change = JSON.parse(data) as LiveChange;
        if (isInstruction(change)) instructed.now();
        else {
          apply.current?.(change);
          if (!filter.current || filter.current(change)) changed.now();
        }
      }
    };
    /** One stream, read to its end (or until it falls silent); the wait before the next one. */
    const follow = async (): Promise<number> => {
      const stream = new AbortController();
      const stop = () => stream.abort();
      ac.signal.addEventListener('abort', stop);
      let silence = setTimeout(stop, SILENT_MS);
      try {
        const send = () =>
          fetch(liveUrl(grid, lastEventId), { headers: { accept: 'text/event-stream', ...authHeaders() }, signal: stream.signal });
        let res = await send();
        if (res.status === 401 && (await renewSession())) res = await send();
        if (!res.ok || !res.body) return REOPEN_MS;
        for await (const e of readSse(res.body)) {
          clearTimeout(silence);
          silence = setTimeout(stop, SILENT_MS);
          lastEventId = e.id || lastEventId;
          receive(e.event, e.data);
        }
        return RETRY_MS;
      } finally {
        clearTimeout(silence);
        ac.signal.removeEventListener('abort', stop);
      }
    };
    void (async () => {
      while (!ac.signal.aborted) {
        const wait = await follow().catch(() => RETRY_MS);
        if (ac.signal.aborted) return;
        setStatus('reconnecting');
        await new Promise((r) => setTimeout(r, wait));
      }
    })();
    return () => {
      ac.abort();
      changed.cancel();
      instructed.cancel();
    };
  }, [grid]);

  return { status, version, instructions };
}
