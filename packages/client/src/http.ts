import { withRetries, type BackoffOptions } from './backoff.ts';
import { ApiError, ApiUnreachableError, isRetryable } from './errors.ts';
import { fetchJson } from './fetch-json.ts';
import type { TokenSource } from './auth.ts';

export interface HttpOptions {
  /** Base URL of the backend, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Where bearer tokens come from (e.g. client credentials); wins over `token`. A 401 renews the token once. */
  auth?: TokenSource;
  /** Per-attempt timeout (ms). The original client had none; we default to 10 s. */
  timeoutMs?: number;
  /** Attempts after the first one for retryable failures (network, timeout, 408, 429, 5xx). */
  retries?: number;
  backoff?: BackoffOptions;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (info: { method: string; url: string; attempt: number; delayMs: number; error: unknown }) => void;
}

export interface RequestOptions {
  /** JSON, or raw bytes sent as they are with `contentType`. */
  body?: unknown;
  contentType?: string;
  /** Overrides the client's retry count for this call (0 for non-idempotent requests). */
  retries?: number;
  signal?: AbortSignal;
}

/** JSON over fetch with per-attempt timeouts and retries with backoff + jitter. */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly opts: HttpOptions;

  constructor(opts: HttpOptions) {
    this.opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = `${this.baseUrl}/${path.replace(/^\/+/, '')}`;
    let renewed = false;
    const send = async (): Promise<T> => {
      const bearer = this.opts.auth ? await this.opts.auth.token(options.signal) : this.opts.token;
      try {
        return await this.once<T>(method, url, options, bearer);
      } catch (error) {
        // A rejected token is renewed once per request, without counting as a retry.
        const rejected = bearer && error instanceof ApiError && error.status === 401;
        if (renewed || !rejected || !this.opts.auth?.invalidate?.(bearer)) throw error;
        renewed = true;
        return send();
      }
    };
    return withRetries(send, {
      retries: options.retries ?? this.opts.retries ?? 3,
      backoff: this.opts.backoff,
      signal: options.signal,
      retryable: isRetryable,
      giveUp: (error) => (error instanceof ApiError ? error : new ApiUnreachableError(method, url, error)),
      onRetry: (info) => this.opts.onRetry?.({ method, url, ...info }),
    });
  }

  private async once<T>(method: string, url: string, options: RequestOptions, bearer: string | undefined): Promise<T> {
    const { ok, status, body } = await fetchJson(url, {
      method,
      body: options.body,
      contentType: options.contentType,
      headers: bearer ? { authorization: `Bearer ${bearer}` } : undefined,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      signal: options.signal,
    });
    if (!ok) throw new ApiError(method, url, status, body);
    return body as T;
  }
}
