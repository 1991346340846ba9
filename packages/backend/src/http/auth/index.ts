/**
 * Bearer-token authentication and role checks for the whole API, installed on the root instance before any route:
 * each request's route is looked up in the access table (`roles.ts`); 401 without a valid token, 403 without the role.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../errors.ts';
import type { AuthOptions } from './config.ts';
import { accessOf, grants, type Access } from './roles.ts';
import { InvalidTokenError, ProviderUnavailableError, TokenVerifier, type Principal } from './verify.ts';

export type { AuthOptions } from './config.ts';
export { authFromEnv } from './config.ts';
export type { Principal } from './verify.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller (set on every route that needs a token when auth is on). */
    auth?: Principal;
  }
}

/** The OpenAPI security scheme; each operation lists the role it needs as the scheme's requirement. */
export const OPENAPI_SECURITY_SCHEMES = { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } as const;

const TITLES = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const;

function deny(request: FastifyRequest, reply: FastifyReply, status: 401 | 403 | 503, detail: string, challenge?: string): FastifyReply {
  if (challenge) void reply.header('www-authenticate', challenge);
  return reply
    .status(status)
    .type('application/problem+json')
    .send({ ...problem(status, detail, request.url), title: TITLES[status] });
}

/** `Authorization: Bearer <token>` → the token (scheme case-insensitive), else undefined. */
function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
  return match?.[1];
}

const quoted = (text: string) => text.replace(/["\\]/g, '');

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const verifier = new TokenVerifier(opts);
  const unclassified: string[] = [];

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (accessOf(method, route.url) === undefined) unclassified.push(`${method} ${route.url}`);
    // The document's security requirement (one per route: a route registered for several methods shares it).
    const access = accessOf(methods[0]!, route.url);
    if (!access || route.schema?.hide) return;
    const requirement = access === 'public' ? [] : [{ bearer: access === 'authenticated' ? [] : [access] }];
    route.schema = { ...route.schema, security: requirement };
  });
  app.addHook('onReady', async () => {
    if (unclassified.length > 0) {
      throw new Error(`routes without an entry in the access table (http/auth/roles.ts): ${unclassified.join(', ')}`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined) return; // no route: the not-found handler answers
    const access = accessOf(request.method, url);
    if (access === 'public') return;
    const token = bearerToken(request.headers.authorization);
    if (!token) return deny(request, reply, 401, 'a bearer token is required', 'Bearer realm="smartem"');
    let principal: Principal;
    try {
      principal = await verifier.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        request.log.info({ method: request.method, url: request.url, reason: error.message }, 'rejected token');
        return deny(
          request,
          reply,
          401,
          `invalid token: ${error.message}`,
          `Bearer realm="smartem", error="invalid_token", error_description="${quoted(error.message)}"`,
        );
      }
      if (error instanceof ProviderUnavailableError) {
        request.log.error({ reason: error.message }, 'cannot verify tokens: identity provider unavailable');
        return deny(request, reply, 503, 'the identity provider cannot be reached to verify the token');
      }
      throw error;
    }
    request.auth = principal;
    const need: Access = access ?? 'smartem-admin'; // unreachable: start-up refuses unclassified routes
    if (!grants(principal.roles, need)) {
      request.log.info(
        { method: request.method, url: request.url, client: principal.client, subject: principal.subject, need },
        'missing role',
      );
      return deny(request, reply, 403, `this requires the role ${need}`, `Bearer realm="smartem", error="insufficient_scope"`);
    }
  });
}
