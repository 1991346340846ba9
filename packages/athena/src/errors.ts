import type { ProblemDetails } from './schemas.ts';

/** The service refused the request (4xx other than 408/429): retrying cannot help. `problem` is its ProblemDetails. */
export class AthenaRequestError extends Error {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly problem: ProblemDetails | undefined;

  constructor(method: string, url: string, status: number, body: unknown) {
    const problem = body && typeof body === 'object' ? (body as ProblemDetails) : undefined;
    const text = problem?.detail ?? problem?.title ?? (typeof body === 'string' ? body.slice(0, 200) : undefined);
    super(`Athena answered ${status} to ${method} ${url}${text ? `: ${text}` : ''}`);
    this.name = 'AthenaRequestError';
    this.status = status;
    this.method = method;
    this.url = url;
    this.problem = problem;
  }
}

/** The service could not be reached, timed out or kept failing (5xx, 408, 429) through every retry. */
export class AthenaUnavailableError extends Error {
  readonly method: string;
  readonly url: string;
  readonly attempts: number;

  constructor(method: string, url: string, attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Athena unavailable: ${method} ${url} failed after ${attempts} attempt(s): ${reason}`, { cause });
    this.name = 'AthenaUnavailableError';
    this.method = method;
    this.url = url;
    this.attempts = attempts;
  }
}

/** A transient answer: the request is worth repeating. */
export class AthenaTransientError extends Error {
  readonly status: number;

  constructor(status: number, detail: string) {
    super(`HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'AthenaTransientError';
    this.status = status;
  }
}
