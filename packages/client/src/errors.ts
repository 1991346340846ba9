/** The backend answered with a non-2xx status. `body` is the parsed problem-details / FastAPI `{detail}` body if any. */
export class ApiError extends Error {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly body: unknown;

  constructor(method: string, url: string, status: number, body: unknown) {
    super(`HTTP ${status} for ${method} ${url}${describeBody(body)}`);
    this.name = 'ApiError';
    this.status = status;
    this.method = method;
    this.url = url;
    this.body = body;
  }

  /** 401/403: the backend rejects our credentials; retrying cannot help. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The backend could not be reached (connection refused, reset, timeout) after every retry. */
export class ApiUnreachableError extends Error {
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, cause: unknown) {
    super(`${method} ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ApiUnreachableError';
    this.method = method;
    this.url = url;
  }
}

function describeBody(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const text = b.detail ?? b.title ?? b.message;
    if (typeof text === 'string') return `: ${text}`;
    if (text !== undefined) return `: ${JSON.stringify(text)}`;
  }
  return typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : '';
}

/** Worth retrying: network failures, timeouts, 408, 429 and 5xx. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 408 || err.status === 429 || err.status >= 500;
  return true;
}
