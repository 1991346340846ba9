import { useEffect, useState } from 'react';

export type Loaded<T> = { status: 'loading' } | { status: 'error'; error: string } | { status: 'ok'; data: T };

/** Runs `load` when `key` changes (aborting the previous run) and holds its result. */
export function useData<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names everything `load` reads
  useEffect(() => {
    const ac = new AbortController();
    setState({ status: 'loading' });
    load(ac.signal).then(
      (data) => !ac.signal.aborted && setState({ status: 'ok', data }),
      (err: unknown) => !ac.signal.aborted && setState({ status: 'error', error: err instanceof Error ? err.message : String(err) }),
    );
    return () => ac.abort();
  }, [key]);
  return state;
}
