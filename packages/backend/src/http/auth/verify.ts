/**
 * Bearer-token verification against an OpenID Connect provider (Keycloak or any other): discovery at
 * `<issuer>/.well-known/openid-configuration`, its JWKS cached and fetched again when a token names an unknown key
 * (key rotation), signature, expiry (with clock leeway), issuer, audience and authorised party checked.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthOptions } from './config.ts';

/** Who called: the token's subject, the OAuth client it was issued to (`azp`), and its roles (realm + that client's). */
export interface Principal {
  subject: string | undefined;
  client: string | undefined;
  username: string | undefined;
  roles: ReadonlySet<string>;
}

/** The token is missing, malformed or fails a check: 401. `reason` names the check, never the token. */
export class InvalidTokenError extends Error {}

/** The provider's discovery document or keys cannot be fetched: 503 (the token may well be valid). */
export class ProviderUnavailableError extends Error {}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** jose error codes that mean "this token is not acceptable" (anything else is about reaching the provider). */
const TOKEN_FAULTS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'token expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'claim check failed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature verification failed',
  ERR_JWKS_NO_MATCHING_KEY: 'signed with a key the provider does not publish',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'signing key is ambiguous',
  ERR_JOSE_ALG_NOT_ALLOWED: 'signature algorithm not allowed',
  ERR_JOSE_NOT_SUPPORTED: 'unsupported token',
  ERR_JWS_INVALID: 'malformed token',
  ERR_JWT_INVALID: 'malformed token',
  ERR_JWK_INVALID: 'unusable signing key',
};

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export class TokenVerifier {
  private keys?: Promise<{ issuer: string; jwks: JWTVerifyGetKey }>;

  constructor(private readonly opts: AuthOptions) {}

  async verify(token: string): Promise<Principal> {
    const { issuer, jwks } = await this.provider();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: this.opts.audience,
        clockTolerance: this.opts.clockToleranceSec ?? 60,
        algorithms: ASYMMETRIC,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const fault = typeof code === 'string' ? TOKEN_FAULTS[code] : undefined;
      if (!fault) throw new ProviderUnavailableError(`cannot fetch the signing keys of ${issuer}: ${(error as Error).message}`);
      const claim = (error as { claim?: unknown }).claim;
      throw new InvalidTokenError(
        code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && typeof claim === 'string' ? `"${claim}" claim check failed` : fault,
      );
    }
    // Keycloak marks ID and refresh tokens with `typ`; only access tokens are bearer credentials.
    if (typeof payload.typ === 'string' && payload.typ.toLowerCase() !== 'bearer')
      throw new InvalidTokenError(`a ${payload.typ} token is not an access token`);
    const client = stringClaim(payload.azp) ?? stringClaim(payload.client_id);
    const allowed = this.opts.allowedAzp;
    if (allowed && allowed.length > 0 && (!client || !allowed.includes(client))) {
      throw new InvalidTokenError(`client ${client ?? '(none)'} is not allowed`);
    }
    return { subject: payload.sub, client, username: stringClaim(payload.preferred_username), roles: rolesOf(payload, client) };
  }

  /** Discovery and the remote key set, once; a failed discovery is retried on the next request. */
  private provider(): Promise<{ issuer: string; jwks: JWTVerifyGetKey }> {
    this.keys ??= discover(trimSlash(this.opts.issuer), this.opts.jwksCooldownMs).catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }
}

async function discover(issuer: string, cooldownMs: number | undefined): Promise<{ issuer: string; jwks: JWTVerifyGetKey }> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let meta: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const get = () => fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
    // Once more on a network error: a kept-alive connection the provider closed as it was reused fails at once.
    const response = await get().catch((error: unknown) => {
      if (error instanceof TypeError) return get();
      throw error;
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    meta = (await response.json()) as typeof meta;
  } catch (error) {
    throw new ProviderUnavailableError(`OpenID discovery at ${url} failed: ${(error as Error).message}`);
  }
  if (typeof meta.issuer !== 'string' || trimSlash(meta.issuer) !== issuer || typeof meta.jwks_uri !== 'string') {
    throw new ProviderUnavailableError(
      `OpenID discovery at ${url} names issuer ${String(meta.issuer)} and jwks_uri ${String(meta.jwks_uri)}; expected issuer ${issuer}`,
    );
  }
  const jwks = createRemoteJWKSet(new URL(meta.jwks_uri), { cooldownDuration: cooldownMs ?? 30_000, timeoutDuration: 5000 });
  return { issuer: meta.issuer, jwks };
}

const stringClaim = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

function roleList(container: unknown): string[] {
  const roles = (container as { roles?: unknown } | undefined)?.roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

/** Keycloak's places: realm roles in `realm_access.roles`, client roles in `resource_access.<client>.roles`. */
function rolesOf(payload: JWTPayload, client: string | undefined): Set<string> {
  const resourceAccess = payload.resource_access as Record<string, unknown> | undefined;
  const clientRoles = client && resourceAccess && typeof resourceAccess === 'object' ? roleList(resourceAccess[client]) : [];
  return new Set([...roleList(payload.realm_access), ...clientRoles]);
}
