/**
 * The HTTP API: fastify with the shared TypeBox wire schemas registered as named components, which both validate
 * requests and generate the OpenAPI document (`/docs/json`, `/openapi.json`, Swagger UI at `/docs`).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ENTITY_WIRES, ID_MAX_LENGTH, POSITION_WIRE, BatchResponseSchema, ProblemDetailsSchema, type Logger } from '@smartem/common';
import type { TSchema } from 'typebox';
import type { Listen } from '../db/index.ts';
import type { Bus } from '../bus/types.ts';
import { clientErrorHandler, errorHandler, sendProblem } from './errors.ts';
import { installMethodNotAllowed } from './methods.ts';
import { ROUTES } from './routes/index.ts';
import { uiRoutes } from './ui.ts';
import type { Store } from '../services/store.ts';
import { installAuth, OPENAPI_SECURITY_SCHEMES, type AuthOptions } from './auth/index.ts';
import { installMetrics } from '../metrics.ts';
import { ImageStore } from '../services/images.ts';

/** Extensible: later options (authentication, …) are added as optional fields. */
export interface AppOptions {
  db: Store['db'];
  log: Logger;
  /** Called after every committed write (wakes the outbox relay). */
  onCommit?: () => void;
  bus?: Bus;
  /** Maximum request body (batches of 5,000 micrographs are a few MB). */
  bodyLimit?: number;
  /** Require OpenID Connect bearer tokens and roles (`auth/roles.ts`); without it the API is open. */
  auth?: AuthOptions;
  /** The database's LISTEN, which pushes instructions to agents' streams (without it streams answer 503). */
  listen?: Listen;
  /** Seconds between `heartbeat` events on instruction streams (default 15). */
  instructionHeartbeatSeconds?: number;
  /** Where preview images are stored (`/images/…`); without it uploads answer 503. */
  imageDir?: string;
}

/** The API's fastify instance: the TypeBox type provider types each route's params, query and body from its schema. */
export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** A route group: a plugin registered on the typed instance. */
export type RoutePlugin = (app: App) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
    startedAt: number;
    /** The message bus, when the process has one (`buildApp({ bus })`). */
    bus?: Bus;
    databaseListen: Listen | undefined;
    instructionHeartbeatMs: number;
    /** The OpenID Connect settings when tokens are required (`buildApp({ auth })`). */
    authOptions: AuthOptions | undefined;
    /** The preview image store, when the backend has an image directory. */
    images: ImageStore | undefined;
  }
}

/** One tag per route group (`routes/index.ts`), in registration order. */
const TAGS = [
  { name: 'service', description: 'status and health of the backend' },
  { name: 'acquisitions', description: 'acquisitions (EPU sessions) and their grids' },
  { name: 'grids', description: 'grids and their grid squares' },
  { name: 'atlases', description: 'atlases, atlas tiles, and grid squares placed on tiles' },
  { name: 'gridsquares', description: 'grid squares and their foil holes' },
  { name: 'foilholes', description: 'foil holes and their micrographs' },
  { name: 'micrographs', description: 'micrographs' },
  { name: 'batch', description: "idempotent batch upserts, the agent's sync path" },
  { name: 'dead-letters', description: 'messages and events the backend gave up on' },
  { name: 'processing', description: 'processing results for micrographs (as the bus events)' },
  { name: 'decisions', description: 'live rankings of squares and holes, and the decision authority per grid' },
  { name: 'dashboard', description: 'aggregates for the operator dashboard (served under /ui/)' },
  { name: 'images', description: 'preview images of atlas tiles, grid squares, foil holes and micrographs' },
  { name: 'agents', description: 'agent sessions and the instruction channel to them (Server-Sent Events, acknowledgements)' },
  { name: 'events', description: "the dashboard's live stream of changes (Server-Sent Events)" },
];

function sharedSchemas(): TSchema[] {
  const out: TSchema[] = [];
  for (const wire of Object.values(ENTITY_WIRES)) out.push(wire.create, wire.update, wire.response);
  out.push(POSITION_WIRE.request, POSITION_WIRE.response, BatchResponseSchema, ProblemDetailsSchema);
  return out;
}

export async function buildApp(opts: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024,
    // An identifier of ID_MAX_LENGTH characters fits in a path even percent-encoded (up to 12 characters each): a longer
    // one is then refused by its schema (400 naming the parameter), not left unreachable by the router.
    routerOptions: { maxParamLength: ID_MAX_LENGTH * 12 },
    // The router's own errors (a malformed URL, a parameter past maxParamLength: 400, 414) as problem details.
    frameworkErrors: (error, request, reply) => {
      const detail =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a path parameter is longer than the router accepts (${ID_MAX_LENGTH * 12} characters)`
          : error.code === 'FST_ERR_BAD_URL'
            ? 'the URL is not valid (a malformed percent-escape)'
            : error.message;
      return sendProblem(reply, error.statusCode ?? 400, detail, request.url.slice(0, 200));
    },
    // Errors before a request exists (431 headers too large, a malformed request line): problem details on the socket.
    clientErrorHandler,
    // No type coercion: Ajv would turn a JSON null into "" or 0 for a non-nullable field.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  if (opts.auth) installAuth(app, opts.auth);
  installMetrics(app, { db: opts.db });
  app.decorate('store', { db: opts.db, onCommit: opts.onCommit });
  app.decorate('startedAt', Date.now());
  app.decorate('databaseListen', opts.listen);
  app.decorate('instructionHeartbeatMs', (opts.instructionHeartbeatSeconds ?? 15) * 1000);
  app.decorate('bus', opts.bus);
  app.decorate('authOptions', opts.auth);
  app.decorate('images', opts.imageDir ? new ImageStore(opts.imageDir) : undefined);
  app.setErrorHandler(errorHandler);
  closeConnectionsWhenClosing(app);
  // JSON as fastify parses it (refusing __proto__ and constructor keys), but an empty body is no body (as the original
  // took a DELETE sent with `Content-Type: application/json`); a route that needs a body then says so (422).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, String(body), done);
  });
  const allowedMethods = installMethodNotAllowed(app);
  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(request.url);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendProblem(reply, 405, `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`, request.url);
    }
    return sendProblem(reply, 404, 'Not Found', request.url);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });

  for (const schema of sharedSchemas()) app.addSchema(schema);

  const { default: swagger } = await import('@fastify/swagger');
  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SmartEM Decisions Backend API',
        description: 'API for accessing and managing electron microscopy data',
        version: '0.1.0',
      },
      tags: TAGS,
      ...(opts.auth ? { components: { securitySchemes: OPENAPI_SECURITY_SCHEMES } } : {}),
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => optionalBodies('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const register of ROUTES) await app.register(register);
  await app.register(uiRoutes);
  await app.ready();
  return app;
}

/**
 * The document says a request body is optional where the route's body schema accepts null: such a route reads an
 * absent body as null (the agent heartbeat: older agents send none). The swagger plugin marks every declared body
 * required.
 */
function optionalBodies<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, OpenApiOperation>> }).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const op of Object.values(operations)) {
      const body = op.requestBody;
      if (body && Object.values(body.content ?? {}).some((media) => media.schema?.anyOf?.some((s) => s.type === 'null')))
        body.required = false;
    }
  }
  return document;
}

interface OpenApiOperation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { anyOf?: Array<{ type?: unknown }> } }> };
}

/**
 * Closing the server reaps the keep-alive sockets Node.js counts as idle at that moment; others stay open until the
 * client goes away or the keep-alive timeout (72 s), and the process waits for them. So while closing: every response
 * says `Connection: close` (its socket ends once it is sent: a request already in flight), and every 100 ms the sockets
 * with no request in progress are closed (seen in `smartem bench closed-loop`: sockets with no request, not reaped).
 * Among them a connection on which the client has not sent anything yet: Node.js counts it as waiting for a request's
 * headers, not idle, so `server.closeIdleConnections()` would leave it open (the stop took 70 s again with it).
 * A request in progress is never cut: its handler finishes and its response is sent.
 */
function closeConnectionsWhenClosing(app: App): void {
  let closing = false;
  let sweep: NodeJS.Timeout | undefined;
  const sockets = new Set<Socket>();
  const busy = new Map<Socket, number>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      if (left > 0) busy.set(socket, left);
      else busy.delete(socket);
      if (closing && left <= 0) socket.destroySoon();
    });
  });
  const closeUnused = () => {
    for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
  };
  app.addHook('preClose', async () => {
    closing = true;
    sweep = setInterval(closeUnused, 100);
    sweep.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweep);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing && !reply.raw.headersSent) void reply.header('connection', 'close');
    return payload;
  });
}
