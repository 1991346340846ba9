/** The backend's OpenID Connect settings, from `SMARTEM_OIDC_*` environment variables. */

export interface AuthOptions {
  /** The provider's issuer URL, e.g. `https://keycloak.example.org/realms/smartem`. */
  issuer: string;
  /** Required `aud` value(s); unchecked when unset. */
  audience?: string[];
  /** OAuth client ids (`azp`) whose tokens are accepted; every client of the issuer when unset. */
  allowedAzp?: string[];
  /** Clock leeway for `exp`/`nbf`/`iat` (default 60 s). */
  clockToleranceSec?: number;
  /** Least time between two fetches of the key set when tokens name unknown keys (default 30 s). */
  jwksCooldownMs?: number;
  /** The dashboard's public OAuth client (authorization code + PKCE); without it the dashboard cannot sign in. */
  webClientId?: string;
  /** Scopes the dashboard asks for (default `openid profile`). */
  webScope?: string;
}

const list = (raw: string | undefined) =>
  raw
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Undefined when `SMARTEM_OIDC_ISSUER` is unset; throws a one-line message naming the variable when it is malformed. */
export function authFromEnv(env: NodeJS.ProcessEnv = process.env): AuthOptions | undefined {
  const issuer = env.SMARTEM_OIDC_ISSUER?.trim();
  if (!issuer) {
    const stray = ['SMARTEM_OIDC_AUDIENCE', 'SMARTEM_OIDC_ALLOWED_AZP', 'SMARTEM_OIDC_WEB_CLIENT_ID'].filter((name) => env[name]?.trim());
    if (stray.length > 0) throw new Error(`${stray.join(' and ')} set without SMARTEM_OIDC_ISSUER`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`SMARTEM_OIDC_ISSUER must be the provider's issuer URL, got '${issuer}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`SMARTEM_OIDC_ISSUER must be an http(s) URL, got '${issuer}'`);
  const audience = list(env.SMARTEM_OIDC_AUDIENCE);
  const allowedAzp = list(env.SMARTEM_OIDC_ALLOWED_AZP);
  const webClientId = env.SMARTEM_OIDC_WEB_CLIENT_ID?.trim();
  const webScope = env.SMARTEM_OIDC_WEB_SCOPE?.trim();
  return {
    issuer,
    ...(audience?.length ? { audience } : {}),
    ...(allowedAzp?.length ? { allowedAzp } : {}),
    ...(webClientId ? { webClientId } : {}),
    ...(webScope ? { webScope } : {}),
  };
}
