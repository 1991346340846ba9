/**
 * Sign-in when the backend requires tokens (`GET /auth/config` names the OpenID provider and the dashboard's public
 * client): OAuth 2 authorization code with PKCE (S256), written with WebCrypto. The verifier and state wait in
 * sessionStorage during the round trip to the provider; the tokens are kept in sessionStorage (this tab only, gone with
 * it) and sent as `Authorization: Bearer` by `authHeaders()`. When the access token expires the next page load signs
 * in again (the provider's session usually makes that a redirect without a form). Without OIDC nothing happens here.
 */

import { prefetched } from './prefetch.ts';

export interface OidcConfig {
  issuer: string;
  client_id: string | null;
  scope: string;
}

export interface Session {
  /** The signed-in user's name for the header (`name`, `preferred_username` or `sub` of the ID token). */
  user: string;
  /** Roles found in the access token (Keycloak's places); null when it is not a readable JWT. */
  roles: string[] | null;
  accessToken: string;
  expiresAt: number;
}

/** Where the app stands: no sign-in needed, signed in, signed out by the user, or unable to sign in. */
export type AuthState =
  | { kind: 'open' }
  | { kind: 'signed-in'; session: Session; config: OidcConfig }
  | { kind: 'signed-out'; config: OidcConfig }
  | { kind: 'error'; message: string };

const TOKENS = 'smartem.tokens';
const PENDING = 'smartem.pkce';
const SIGNED_OUT = 'smartem.signed-out';
/** The one redirect URI the dashboard's client registers: the dashboard's root. */
export const redirectUri = () => `${location.origin}/ui/`;

let current: Session | null = null;

/** The bearer header for API requests (empty when the API is open). */
export function authHeaders(): Record<string, string> {
  return current ? { authorization: `Bearer ${current.accessToken}` } : {};
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** A JWT's payload, unverified (the API verifies tokens; the dashboard only reads names and roles for display). */
function claimsOf(jwt: string | undefined): Record<string, unknown> | null {
  const part = jwt?.split('.')[1];
  if (!part) return null;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function rolesOf(claims: Record<string, unknown> | null): string[] | null {
  if (!claims) return null;
  const list = (c: unknown) =>
    ((c as { roles?: unknown } | undefined)?.roles as unknown[] | undefined)?.filter((r) => typeof r === 'string') ?? [];
  const clients = Object.values((claims.resource_access as Record<string, unknown> | undefined) ?? {});
  return [...list(claims.realm_access), ...clients.flatMap(list)] as string[];
}

/** Whether the signed-in user may approve, decline, skip and include (always when the API is open). */
export function canOperate(state: AuthState): boolean {
  if (state.kind !== 'signed-in') return state.kind === 'open';
  const roles = state.session.roles;
  return roles === null || roles.includes('smartem-operator') || roles.includes('smartem-admin');
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the OpenID provider ${issuer} did not answer its discovery document (${res.status})`);
  return (await res.json()) as Discovery;
}

/** Sends the browser to the provider's sign-in page; resolves never (the page unloads). */
export async function signIn(config: OidcConfig): Promise<never> {
  const { authorization_endpoint } = await discover(config.issuer);
  const verifier = randomString();
  const state = randomString(16);
  sessionStorage.removeItem(SIGNED_OUT);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, back: location.pathname + location.search }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id!,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
  return new Promise<never>(() => {});
}

export function signOut(config: OidcConfig): AuthState {
  current = null;
  sessionStorage.removeItem(TOKENS);
  sessionStorage.setItem(SIGNED_OUT, '1');
  return { kind: 'signed-out', config };
}

function sessionFrom(tokens: { access_token: string; id_token?: string; expires_in?: number }, now = Date.now()): Session {
  const id = claimsOf(tokens.id_token);
  const access = claimsOf(tokens.access_token);
  const name = (c: Record<string, unknown> | null) =>
    c ? [c.name, c.preferred_username, c.sub].find((v) => typeof v === 'string') : undefined;
  return {
    user: String(name(id) ?? name(access) ?? 'signed in'),
    roles: rolesOf(access),
    accessToken: tokens.access_token,
    expiresAt: now + (tokens.expires_in ?? 300) * 1000,
  };
}

/** Back from the provider with `?code=…&state=…`: the code exchanged for tokens at the token endpoint. */
async function completeSignIn(config: OidcConfig, params: URLSearchParams): Promise<Session> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; back: string } | null;
  sessionStorage.removeItem(PENDING);
  if (params.get('error')) throw new Error(`sign-in failed: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || pending.state !== params.get('state'))
    throw new Error('sign-in failed: the answer does not match a sign-in started here');
  const { token_endpoint } = await discover(config.issuer);
  const res = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: redirectUri(),
      client_id: config.client_id!,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token)
    throw new Error(`sign-in failed at the token endpoint: ${body.error_description ?? body.error ?? res.status}`);
  const session = sessionFrom(body as { access_token: string });
  history.replaceState(null, '', pending.back || '/ui/');
  return session;
}

/**
 * Run once before the app renders: reads the backend's sign-in settings, finishes a sign-in that is coming back,
 * reuses a stored token or starts a sign-in (the page then leaves for the provider).
 */
export async function initAuth(): Promise<AuthState> {
  let oidc: OidcConfig | null;
  try {
    const res = (await prefetched('/auth/config')) ?? (await fetch('/auth/config', { headers: { accept: 'application/json' } }));
    oidc = res.ok ? ((await res.json()) as { oidc: OidcConfig | null }).oidc : null;
  } catch {
    oidc = null;
  }
  if (!oidc) return { kind: 'open' };
  if (!oidc.client_id)
    return { kind: 'error', message: 'The API requires sign-in but has no dashboard client: set SMARTEM_OIDC_WEB_CLIENT_ID.' };
  const config = oidc;
  try {
    const params = new URLSearchParams(location.search);
    if (params.has('state') && (params.has('code') || params.has('error'))) {
      current = await completeSignIn(config, params);
      sessionStorage.setItem(TOKENS, JSON.stringify(current));
      return { kind: 'signed-in', session: current, config };
    }
    const stored = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Session | null;
    if (stored && stored.expiresAt > Date.now() + 10_000) {
      current = stored;
      return { kind: 'signed-in', session: stored, config };
    }
    if (sessionStorage.getItem(SIGNED_OUT)) return { kind: 'signed-out', config };
    return await signIn(config);
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
