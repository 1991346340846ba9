/** HTTP errors as problem-details bodies (`@smartem/common` ProblemDetails), and database errors mapped onto them. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemDetails } from '@smartem/common';
import { ConflictError, NotFoundError } from '../errors.ts';
import { driverReason, isUnreachableError } from '../db/unreachable.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
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

/** "/items/3/gridsquare_uuid" + missing property → "items/3/gridsquare_uuid". */
function fieldOf(v: { instancePath?: string; params?: Record<string, unknown> }, context: string | undefined): string {
  let path = (v.instancePath ?? '').replace(/^\//, '');
  const missing = v.params?.missingProperty;
  if (typeof missing === 'string') path = path ? `${path}/${missing}` : missing;
  return path || context || 'body';
}

/**
 * Fastify error handler: validation → 422 (400 for batch routes and non-body parts), not found → 404, conflict → 409,
 * HttpError → its status, database unreachable → 503.
 */
export function errorHandler(
  error: FastifyError | HttpError | NotFoundError | ConflictError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const instance = request.url;
  if (error instanceof NotFoundError || error instanceof ConflictError) {
    const status = error instanceof NotFoundError ? 404 : 409;
    void reply
      .status(status)
      .type('application/problem+json')
      .send(problem(status, error.message, instance));
    return;
  }
  if (error instanceof HttpError) {
    void reply
      .status(error.status)
      .type('application/problem+json')
      .send(problem(error.status, error.detail, instance, error.errors));
    return;
  }
  if (error.validation) {
    const context = error.validationContext;
    const errors = error.validation.map((v) => ({ field: fieldOf(v, context), message: v.message ?? 'invalid' }));
    const isBatch = request.url.startsWith('/batch/');
    const status = context === 'body' && !isBatch ? 422 : 400;
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    void reply
      .status(status)
      .type('application/problem+json')
      .send(problem(status, detail, instance, errors));
    return;
  }
  if (isUnreachableError(error)) {
    // PostgreSQL restarting or out of reach: nothing was written; the client should try again (the agent does), and a
    // load balancer or operator should see an unavailable service rather than a bug.
    const reason = driverReason(error);
    request.log.warn({ reason }, 'database unavailable');
    void reply
      .status(503)
      .header('retry-after', '1')
      .type('application/problem+json')
      .send(problem(503, 'database unavailable; try again shortly', instance));
    return;
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  const detail = status >= 500 ? 'Internal server error' : error.message;
  void reply
    .status(status)
    .type('application/problem+json')
    .send(problem(status, detail, instance));
}
