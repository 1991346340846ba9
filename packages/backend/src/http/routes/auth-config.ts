/**
 * `GET /auth/config`: what the dashboard needs to sign in — the OpenID provider and the dashboard's public client —
 * or `oidc: null` when the API is open (loopback or `--insecure`). Public: the dashboard reads it before it has a token.
 */
import { Type } from 'typebox';
import type { App } from '../app.ts';

const DEFAULT_SCOPE = 'openid profile';

const AuthConfig = Type.Object(
  {
    oidc: Type.Union([
      Type.Object({
        issuer: Type.String({ description: "the provider's issuer URL" }),
        client_id: Type.Union([Type.String(), Type.Null()], {
          description: "the dashboard's public client (SMARTEM_OIDC_WEB_CLIENT_ID); null when not configured",
        }),
        scope: Type.String(),
      }),
      Type.Null(),
    ]),
  },
  { $id: 'AuthConfig' },
);

export async function authConfigRoutes(app: App): Promise<void> {
  app.get(
    '/auth/config',
    {
      schema: {
        tags: ['service'],
        summary: "The dashboard's sign-in settings",
        description:
          'The OpenID provider and the OAuth client the dashboard signs in with (authorization code + PKCE), or `oidc: null` when the API needs no token.',
        response: { 200: AuthConfig },
      },
    },
    async () => {
      const auth = app.authOptions;
      if (!auth) return { oidc: null };
      return { oidc: { issuer: auth.issuer, client_id: auth.webClientId ?? null, scope: auth.webScope ?? DEFAULT_SCOPE } };
    },
  );
}
