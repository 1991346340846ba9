import { useEffect, useRef, useState } from 'react';

/**
 * The rest a live page gives `useData` (its `restMs`): while changes keep coming, its data is re-read at most once per
 * this long after the last re-read ended — a busy visit would otherwise keep the backend re-reading it on every change.
 * The first change after a quiet spell is still read at once.
 */
export const REREAD_REST_MS = 250;

export type Loaded<T> = { status: 'loading' } | { status: 'error'; error: string } | { status: 'ok'; data: T };

interface Run {
  ac: AbortController;
  busy: boolean;
  again: boolean;
  /** When the last refresh ended (`performance.now()`). */
  ended: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Runs `load` when `key` changes (aborting the previous run) and holds its result. A change of `refresh` loads again
 * in the background: the data shown stays until the new data replaces it (a failed refresh keeps it), and a refresh
 * asked while one runs waits for it and runs once after — so a stream of changes never starves the page of data.
 * `restMs`: a refresh starts no sooner than this after the last one ended (a page that applies changes itself and
 * re-reads for the rest need not re-read back to back while changes keep coming).
 */
export function useData<T>(key: string, load: (signal: AbortSignal) => Promise<T>, refresh = 0, restMs = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const run = useRef<Run | null>(null);
  const loader = useRef(load);
  loader.current = load;
  const start = (r: Run, background: boolean): void => {
    r.busy = true;
    // Whatever asked for a refresh until now is read by this run.
    r.again = false;
    loader
      .current(r.ac.signal)
      .then(
        (data) => !r.ac.signal.aborted && setState({ status: 'ok', data }),
        (err: unknown) =>
          !r.ac.signal.aborted &&
          setState((prev) =>
            background && prev.status === 'ok' ? prev : { status: 'error', error: err instanceof Error ? err.message : String(err) },
          ),
      )
      .finally(() => {
        r.busy = false;
        r.ended = performance.now();
        if (r.again && !r.ac.signal.aborted) refreshSoon(r);
      });
  };
  /** A refresh now, or once `restMs` have passed since the last one ended. */
  const refreshSoon = (r: Run): void => {
    const wait = r.ended + restMs - performance.now();
    if (wait <= 0) {
      start(r, true);
      return;
    }
    r.busy = true;
    r.timer = setTimeout(() => start(r, true), wait);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names everything `load` reads
  useEffect(() => {
    const r: Run = { ac: new AbortController(), busy: false, again: false, ended: Number.NEGATIVE_INFINITY };
    run.current = r;
    setState({ status: 'loading' });
    start(r, false);
    return () => {
      clearTimeout(r.timer);
      r.ac.abort();
    };
  }, [key]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new `refresh` value asks for a reload
  useEffect(() => {
    const r = run.current;
    if (refresh === 0 || !r) return;
    if (r.busy) r.again = true;
    else refreshSoon(r);
  }, [refresh]);
  return state;
}
