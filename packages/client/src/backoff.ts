/** Exponential backoff with full jitter: a uniformly random delay in [0, min(maxMs, baseMs·2^attempt)]. */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round((opts.random ?? Math.random)() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  backoff?: BackoffOptions;
  /** The caller's signal: once it aborts, its reason is thrown and nothing is retried. */
  signal?: AbortSignal;
  /** Whether a failure is worth another attempt. */
  retryable(error: unknown): boolean;
  /** What to throw for a failure that is final (not retryable, or the last attempt's); default the failure itself. */
  giveUp?(error: unknown, attempts: number): unknown;
  /** Called before each retry (to log it); `attempt` counts the retries from 1. */
  onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
}

/** Runs `attempt` until it succeeds, retrying retryable failures after a backoff delay, `retries` times at most. */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (policy.signal?.aborted) throw policy.signal.reason;
      if (n >= policy.retries || !policy.retryable(error)) throw policy.giveUp ? policy.giveUp(error, n + 1) : error;
      const delayMs = backoffDelay(n, policy.backoff);
      policy.onRetry?.({ attempt: n + 1, delayMs, error });
      await sleep(delayMs, policy.signal);
    }
  }
}
