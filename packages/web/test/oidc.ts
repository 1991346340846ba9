/**
 * A real OpenID Connect provider (`oidc-provider`) for the dashboard's sign-in tests, on a free loopback port: the
 * dashboard as a public client (authorization code, PKCE required), its development login form (any password), JWT
 * access tokens for the API's audience carrying each user's roles where Keycloak puts realm roles, and a confidential
 * client for the test's own setup calls. The dashboard gets a refresh token with each sign-in (as Keycloak gives a
 * browser client one), rotated on every use. The redirect URI is set once the backend's URL is known; the access
 * tokens' lifetime can be shortened for a test of their renewal.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const AUDIENCE = 'smartem-api';
export const DASHBOARD_CLIENT = 'smartem-dashboard';
const SETUP_CLIENT = 'test-setup';
/** What the dashboard asks for: an ID token with the user's name, and an access token for the API. */
export const SCOPE = 'openid profile smartem';

export interface DashboardProvider {
  issuer: string;
  /** Registers the dashboard's redirect URI (the backend's `/ui/`) and starts answering. */
  configure(redirectUri: string): void;
  /** The lifetime of access tokens issued from now on (default 600 s). */
  setAccessTokenTtl(seconds: number): void;
  /** A client-credentials token with every role, for the test's setup writes. */
  setupToken(): Promise<string>;
  close(): Promise<void>;
}

/** `users`: login → realm roles. */
export async function startDashboardProvider(users: Record<string, string[]>): Promise<DashboardProvider> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  const setupSecret = randomBytes(16).toString('hex');
  let accessTokenTTL = 600;

  return {
    issuer,
    configure(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: DASHBOARD_CLIENT,
            token_endpoint_auth_method: 'none',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: [redirectUri],
          },
          {
            client_id: SETUP_CLIENT,
            client_secret: setupSecret,
            grant_types: ['client_credentials'],
            redirect_uris: [],
            response_types: [],
          },
        ],
        jwks: { keys: [jwk] },
        issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
        scopes: ['openid', 'profile', 'smartem'],
        claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
        findAccount: async (_ctx, sub) => ({
          accountId: sub,
          claims: async () => ({ sub, name: `User ${sub}`, preferred_username: sub }),
        }),
        features: {
          devInteractions: { enabled: true },
          clientCredentials: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => 'urn:smartem:api',
            useGrantedResource: () => true,
            getResourceServerInfo: () => ({
              scope: 'smartem',
              audience: AUDIENCE,
              accessTokenTTL,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'RS256' } },
            }),
          },
        },
        extraTokenClaims: (_ctx, token) => {
          const t = token as { accountId?: string; clientId?: string };
          const roles = t.accountId ? (users[t.accountId] ?? []) : t.clientId === SETUP_CLIENT ? ['smartem-admin'] : [];
          return { realm_access: { roles } };
        },
      });
      handler = provider.callback();
    },
    setAccessTokenTtl(seconds) {
      accessTokenTTL = seconds;
    },
    async setupToken() {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${SETUP_CLIENT}:${setupSecret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=smartem',
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`token endpoint: HTTP ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
