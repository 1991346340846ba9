/**
 * The stand-in Decision Service over HTTP (node:http). Every request is routed and validated by the OpenAPI document
 * it is given (ours by default, or the published one): an invalid request gets a 400 ProblemDetails naming the field;
 * a reply that violates the document is a bug in the stand-in, logged loudly and answered with a 500.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { athenaOpenApiDocument } from '../openapi.ts';
import { OpenApiValidator, type OpenApiLike } from './openapi-validator.ts';
import { AthenaService, problem, type Reply } from './service.ts';

export interface AthenaMockOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The OpenAPI document to route and validate by; default: the one generated from our schemas. */
  document?: OpenApiLike;
  /** Append one JSON line `{method, path, query, body, status, time}` per request to this file. */
  recordFile?: string;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
}

export interface AthenaMock {
  /** `http://host:port`, the base URL for `AthenaClient`. */
  url: string;
  port: number;
  service: AthenaService;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** One recorded exchange, as written to the `--record` file. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  /** When the reply was sent (ISO 8601, ms): a posted decision is readable from then on. */
  time: string;
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startAthenaMock(options: AthenaMockOptions = {}): Promise<AthenaMock> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const validator = new OpenApiValidator(options.document ?? athenaOpenApiDocument());
  if (options.recordFile) {
    try {
      appendFileSync(options.recordFile, '');
    } catch (err) {
      throw new Error(`cannot write the record file ${options.recordFile}: ${(err as Error).message}`);
    }
  }
  const service = new AthenaService();

  async function handle(req: IncomingMessage, url: URL): Promise<{ reply: Reply; body: unknown }> {
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    if (raw === 'too-large') return { reply: problem(400, `request body exceeds ${MAX_BODY_BYTES} bytes`), body: undefined };
    const text = raw.toString('utf8');
    let body: unknown = null;
    if (text.trim()) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        return { reply: problem(400, `request body is not valid JSON: ${(err as Error).message}`), body: text };
      }
    }
    const routed = validator.route(method, url.pathname);
    if (routed.kind === 'no-path') return { reply: problem(404, `no operation at ${url.pathname}`), body };
    if (routed.kind === 'no-method') {
      return { reply: problem(405, `${method} is not allowed on ${url.pathname} (allowed: ${routed.allowed.join(', ')})`), body };
    }
    const operation = routed.operation;
    const contentType = req.headers['content-type'];
    if (text.trim() && contentType && validator.bodyTypes(operation).length > 0 && !validator.acceptsMediaType(operation, contentType)) {
      return {
        reply: problem(415, `content type ${contentType} is not accepted (accepted: ${validator.bodyTypes(operation).join(', ')})`),
        body,
      };
    }
    const params = validator.validateParameters(operation, url.searchParams);
    const errors = [...(params.ok ? [] : params.errors), ...validator.validateBody(operation, body)];
    if (errors.length > 0) return { reply: problem(400, errors.join('; ')), body };
    const handler = service.handlerFor(operation.method, operation.template);
    if (!handler) return { reply: problem(501, `${operation.method} ${operation.template} is not implemented by the stand-in`), body };
    const reply = await handler(params.ok ? params.values : {}, body);
    const violations = validator.validateResponse(operation, reply.status, reply.body);
    if (violations.length > 0) {
      log(`athena-mock: BUG: the reply to ${method} ${url.pathname} violates the OpenAPI document: ${violations.join('; ')}`);
      return { reply: problem(500, `the stand-in's reply violated the OpenAPI document: ${violations.join('; ')}`), body };
    }
    return { reply, body };
  }

  function send(res: ServerResponse, reply: Reply): void {
    if (reply.body === undefined) {
      res.writeHead(reply.status).end();
      return;
    }
    const contentType = reply.status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8';
    res.writeHead(reply.status, { 'content-type': contentType }).end(JSON.stringify(reply.body));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    handle(req, url)
      .catch((err: unknown) => {
        log(`athena-mock: BUG: ${req.method} ${url.pathname} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return { reply: problem(500, 'the stand-in failed; see its log'), body: undefined };
      })
      .then(({ reply, body }) => {
        if (options.recordFile) {
          const line: RecordedRequest = {
            method: req.method ?? 'GET',
            path: url.pathname,
            query: queryObject(url.searchParams),
            body: body ?? null,
            status: reply.status,
            time: new Date().toISOString(),
          };
          try {
            appendFileSync(options.recordFile, `${JSON.stringify(line)}\n`);
          } catch (err) {
            log(`athena-mock: cannot append to the record file ${options.recordFile}: ${(err as Error).message}`);
          }
        }
        if (!res.destroyed) send(res, reply);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    service,
    close: () =>
      new Promise<void>((resolve) => {
        service.releaseWaiters();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Replies to released TimedDecision waits are on their way; drop whatever is still open after that.
        setImmediate(() => server.closeAllConnections());
      }),
  };
}
