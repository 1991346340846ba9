/** HTTP errors as problem-details bodies (`@smartem/common` ProblemDetails), and database errors mapped onto them. */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { schemaErrorMessage, type ProblemDetails } from '@smartem/common';
import { ConflictError, InvalidFieldError, NotFoundError } from '../errors.ts';
import { driverReason, isUnreachableError } from '../db/unreachable.ts';
import { sqlState } from '../repositories/sql-errors.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
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

const INSTANCE_MAX = 300;

export function problem(status: number, detail: string, instance?: string, errors?: ProblemDetails['errors']): ProblemDetails {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    // The request's path, bounded: a problem never echoes a long request back.
    ...(instance ? { instance: instance.length > INSTANCE_MAX ? `${instance.slice(0, INSTANCE_MAX)}…` : instance } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, status: number, detail: string, instance?: string, errors?: ProblemDetails['errors']) {
  return reply
    .status(status)
    .type('application/problem+json')
    .send(problem(status, detail, instance, errors));
}

/**
 * Fastify's `clientErrorHandler`: a request node's parser refused before fastify saw it (headers or URL past
 * `maxHeaderSize`: 431; a malformed request line: 400) answered with problem details, then the connection closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? 'the request line and headers are larger than the server accepts'
      : status === 408
        ? 'request timeout'
        : 'malformed HTTP request';
  const body = JSON.stringify(problem(status, detail));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** "/items/3/gridsquare_uuid" + missing property → "items/3/gridsquare_uuid". */
function fieldOf(v: { instancePath?: string; params?: Record<string, unknown> }, context: string | undefined): string {
  let path = (v.instancePath ?? '').replace(/^\//, '');
  const missing = v.params?.missingProperty;
  if (typeof missing === 'string') path = path ? `${path}/${missing}` : missing;
  return path || context || 'body';
}

/** The path of the first string (or key) in `value` holding a NUL character, which PostgreSQL text cannot store. */
export function nulPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const here = path ? `${path}/${key}` : key;
    if (key.includes('\u0000')) return here;
    const found = nulPath(item, here);
    if (found) return found;
  }
  return undefined;
}

/**
 * SQLSTATE class 22 (data exception: too long, out of range, bad encoding, invalid enum or date) and 54000 (an index
 * entry too large) mean the request carried a value the database cannot store: 422, not a 500. The wire schemas
 * refuse such values first (`@smartem/common` limits.ts); this covers free-form JSON (acknowledgement results).
 */
function dataProblem(error: unknown, request: FastifyRequest): { field: string; message: string } | undefined {
  const state = sqlState(error);
  if (!state || !(state.startsWith('22') || state === '54000')) return undefined;
  const nul = nulPath(request.body) ?? nulPath(request.params) ?? nulPath(request.query);
  if (nul) return { field: nul, message: 'must not contain NUL (\\u0000) characters' };
  return { field: 'body', message: `a value the database cannot store (SQLSTATE ${state})` };
}

const LOG_TEXT_MAX = 500;
const bounded = (text: unknown): string | undefined => {
  if (typeof text !== 'string') return undefined;
  // A failed query's message carries its parameters after "params:" (a 50 MB body would be logged whole).
  const cut = text.split('\nparams:')[0]!;
  return cut.length > LOG_TEXT_MAX ? `${cut.slice(0, LOG_TEXT_MAX)}… (${cut.length} characters)` : cut;
};

/** An unexpected error as logged: type, SQLSTATE, messages and stack, each bounded, never the query's parameters. */
export function loggableError(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown; cause?: { message?: unknown } };
  return {
    type: typeof e?.name === 'string' ? e.name : typeof error,
    message: bounded(e?.message ?? String(error)),
    sqlState: sqlState(error),
    cause: bounded(e?.cause?.message),
    // The frames only: a stack starts with the (unbounded) message.
    stack: bounded(
      typeof e?.stack === 'string'
        ? e.stack
            .split('\n')
            .filter((line) => line.startsWith('    at '))
            .slice(0, 8)
            .join('\n')
        : undefined,
    ),
  };
}

/**
 * Fastify error handler: validation → 422 (400 for batch routes and non-body parts), not found → 404, conflict → 409,
 * HttpError → its status, database unreachable → 503, a value the database cannot store → 422.
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
  if (error instanceof InvalidFieldError) {
    const errors = [{ field: error.field, message: error.reason }];
    void reply
      .status(422)
      .type('application/problem+json')
      .send(problem(422, error.message, instance, errors));
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
    const errors = error.validation.map((v) => ({ field: fieldOf(v, context), message: schemaErrorMessage(v) }));
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
  const data = dataProblem(error, request);
  if (data) {
    void reply
      .status(422)
      .type('application/problem+json')
      .send(problem(422, `${data.field}: ${data.message}`, instance, [data]));
    return;
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: loggableError(error) }, 'request failed');
  const detail =
    status >= 500
      ? 'Internal server error'
      : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? `Content-Type ${String(request.headers['content-type']).slice(0, 100)} is not supported; send application/json`
        : error.message;
  void reply
    .status(status)
    .type('application/problem+json')
    .send(problem(status, detail, instance));
}
