/**
 * A real OpenID Connect provider for tests (`oidc-provider`), on a free loopback port, shaped like Keycloak: JWT access
 * tokens for the client-credentials grant carrying `azp`, `realm_access.roles` and `resource_access.<client>.roles`.
 * Its signing keys are generated here, so tests can also hand-make tokens for faults the provider never produces, and
 * rotate the keys (the provider is replaced behind the same URL, signing with a new key it now also publishes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export const AUDIENCE = 'smartem-api';

export interface TestClient {
  secret: string;
  realmRoles?: string[];
  /** Roles of this client under `resource_access.<client id>` (Keycloak's client roles). */
  clientRoles?: string[];
  /** Access-token lifetime in seconds (default 300). */
  ttl?: number;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `k-${randomBytes(6).toString('hex')}`;
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

export interface TestProvider {
  issuer: string;
  /** Client-credentials requests the token endpoint has answered. */
  readonly tokenRequests: number;
  /** An access token from the provider's token endpoint. */
  token(clientId: string): Promise<string>;
  /** A token signed with the provider's current key (or `key`), with Keycloak-like defaults overridden by `claims`. */
  sign(claims: JWTPayload, opts?: { key?: SigningKey; kid?: string }): Promise<string>;
  /** A new signing key: published next to the old one and used for every token from now on. */
  rotate(): Promise<void>;
  newKey: typeof newKey;
  close(): Promise<void>;
}

export async function startTestProvider(clients: Record<string, TestClient>): Promise<TestProvider> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  let tokenRequests = 0;
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/token')) tokenRequests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys: SigningKey[] = [await newKey()];

  const install = () => {
    const current = keys[keys.length - 1]!;
    const provider = new Provider(issuer, {
      clients: Object.entries(clients).map(([client_id, c]) => ({
        client_id,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      })),
      // Newest first: the provider signs with the first key of an algorithm.
      jwks: { keys: [...keys].reverse().map((k) => k.privateJwk) },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => 'urn:smartem:api',
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, _resource, client) => ({
            scope: 'smartem',
            audience: AUDIENCE,
            accessTokenTTL: clients[client.clientId]?.ttl ?? 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256', kid: current.kid } },
          }),
        },
      },
      extraTokenClaims: (_ctx, token) => {
        const clientId = (token as { clientId?: string }).clientId;
        const c = clientId ? clients[clientId] : undefined;
        if (!clientId || !c) return undefined;
        return {
          azp: clientId,
          realm_access: { roles: c.realmRoles ?? [] },
          resource_access: { [clientId]: { roles: c.clientRoles ?? [] } },
        };
      },
    });
    handler = provider.callback();
  };
  install();

  return {
    issuer,
    get tokenRequests() {
      return tokenRequests;
    },
    async token(clientId) {
      const c = clients[clientId];
      if (!c) throw new Error(`no test client ${clientId}`);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${c.secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token endpoint: HTTP ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async sign(claims, opts = {}) {
      const key = opts.key ?? keys[keys.length - 1]!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: AUDIENCE, iat: now, exp: now + 300, typ: 'Bearer', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? key.kid, typ: 'JWT' })
        .sign(key.privateKey);
    },
    async rotate() {
      keys.push(await newKey());
      install();
    },
    newKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
