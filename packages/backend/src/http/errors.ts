/** HTTP errors as problem-details bodies (`@smartem/common` ProblemDetails), and database errors mapped onto them. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemDetails } from '@smartem/common';

const TITLES: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors?: Array<{ field: string; message: string }>,
  ) {
    super(detail);
  }
}

export const notFound = (detail: string) => new HttpError(404, detail);
export const conflict = (detail: string) => new HttpError(409, detail);

export function problem(status: number, detail: string, instance?: string, errors?: ProblemDetails['errors']): ProblemDetails {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(instance ? { instance } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** PostgreSQL's SQLSTATE of an error thrown by pg, PGlite or drizzle (which wraps them in `cause`). */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => sqlState(error) === '23503';

/** "/items/3/gridsquare_uuid" + missing property → "items/3/gridsquare_uuid". */
function fieldOf(v: { instancePath?: string; params?: Record<string, unknown> }, context: string | undefined): string {
  let path = (v.instancePath ?? '').replace(/^\//, '');
  const missing = v.params?.missingProperty;
  if (typeof missing === 'string') path = path ? `${path}/${missing}` : missing;
  return path || context || 'body';
}

/** Fastify error handler: validation → 422 (400 for batch routes and non-body parts), HttpError → its status. */
export function errorHandler(error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply): void {
  const instance = request.url;
  if (error instanceof HttpError) {
    void reply.status(error.status).type('application/problem+json').send(problem(error.status, error.detail, instance, error.errors));
    return;
  }
  if (error.validation) {
    const context = error.validationContext;
    const errors = error.validation.map((v) => ({ field: fieldOf(v, context), message: v.message ?? 'invalid' }));
    const isBatch = request.url.startsWith('/batch/');
    const status = context === 'body' && !isBatch ? 422 : 400;
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    void reply.status(status).type('application/problem+json').send(problem(status, detail, instance, errors));
    return;
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  const detail = status >= 500 ? 'Internal server error' : error.message;
  void reply.status(status).type('application/problem+json').send(problem(status, detail, instance));
}
