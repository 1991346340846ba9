/**
 * Sign-in when the backend requires tokens (`GET /auth/config` names the OpenID provider and the dashboard's public
 * client): OAuth 2 authorization code with PKCE (S256), written with WebCrypto. The verifier and state wait in
 * sessionStorage during the round trip to the provider; the tokens are kept in sessionStorage (this tab only, gone with
 * it) and sent as `Authorization: Bearer` by `authHeaders()`. Before the access token expires it is renewed with the
 * refresh token (`grant_type=refresh_token`, the new refresh token kept when the provider rotates it), and a request
 * answered 401 renews it once and is made again; only when the provider refuses the refresh token does the next page
 * load sign in again (the provider's session usually makes that a redirect without a form). Without OIDC nothing
 * happens here.
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
  /** Absent when the provider issued none: the session then ends with its access token. */
  refreshToken?: string;
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

/** Renewal starts this long before expiry, or half the remaining lifetime for shorter-lived tokens. */
const RENEW_BEFORE_MS = 60_000;

let current: Session | null = null;
let currentConfig: OidcConfig | null = null;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let renewing: Promise<boolean> | null = null;
const listeners = new Set<(session: Session) => void>();

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
  clearTimeout(renewTimer);
  sessionStorage.removeItem(TOKENS);
  sessionStorage.setItem(SIGNED_OUT, '1');
  return { kind: 'signed-out', config };
}

interface TokenAnswer {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

/** The session of a token endpoint's answer; a refresh's answer may lack an ID token or a new refresh token. */
function sessionFrom(tokens: TokenAnswer, previous?: Session, now = Date.now()): Session {
  const id = claimsOf(tokens.id_token);
  const access = claimsOf(tokens.access_token);
  const name = (c: Record<string, unknown> | null) =>
    c ? [c.name, c.preferred_username, c.sub].find((v) => typeof v === 'string') : undefined;
  return {
    user: String(name(id) ?? previous?.user ?? name(access) ?? 'signed in'),
    roles: rolesOf(access),
    accessToken: tokens.access_token,
    expiresAt: now + (tokens.expires_in ?? 300) * 1000,
    refreshToken: tokens.refresh_token ?? previous?.refreshToken,
  };
}

/** A grant at the provider's token endpoint; the answer, or an error naming what the provider said. */
async function tokenRequest(config: OidcConfig, grant: Record<string, string>): Promise<TokenAnswer> {
  const { token_endpoint } = await discover(config.issuer);
  const res = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...grant, client_id: config.client_id! }),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<TokenAnswer> & { error?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`the token endpoint refused: ${body.error_description ?? body.error ?? res.status}`);
  return body as TokenAnswer;
}

/** Keeps `session` as the current one (this tab's storage too), tells the app, and plans its renewal. */
function adopt(config: OidcConfig, session: Session): void {
  current = session;
  currentConfig = config;
  sessionStorage.setItem(TOKENS, JSON.stringify(session));
  for (const listener of listeners) listener(session);
  clearTimeout(renewTimer);
  if (!session.refreshToken) return;
  const left = session.expiresAt - Date.now();
  renewTimer = setTimeout(() => void renewSession(), Math.max(0, left - Math.min(RENEW_BEFORE_MS, left / 2)));
}

/** Called with each renewed session (the header's user, the roles that enable buttons). */
export function onSessionRenewed(listener: (session: Session) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * A new access token from the refresh token; whether it worked. Concurrent callers (the timer, requests answered 401)
 * share one renewal. A refused refresh token leaves the session to expire: the next page load signs in again.
 */
export function renewSession(): Promise<boolean> {
  const session = current;
  const config = currentConfig;
  if (!session?.refreshToken || !config) return Promise.resolve(false);
  renewing ??= tokenRequest(config, { grant_type: 'refresh_token', refresh_token: session.refreshToken })
    .then((tokens) => {
      if (current === session) adopt(config, sessionFrom(tokens, session));
      return current !== null;
    })
    .catch(() => false)
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

/** Back from the provider with `?code=…&state=…`: the code exchanged for tokens at the token endpoint. */
async function completeSignIn(config: OidcConfig, params: URLSearchParams): Promise<Session> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; back: string } | null;
  sessionStorage.removeItem(PENDING);
  if (params.get('error')) throw new Error(`sign-in failed: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || pending.state !== params.get('state'))
    throw new Error('sign-in failed: the answer does not match a sign-in started here');
  const tokens = await tokenRequest(config, {
    grant_type: 'authorization_code',
    code: params.get('code')!,
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  }).catch((error: unknown) => {
    throw new Error(`sign-in failed: ${(error as Error).message}`);
  });
  history.replaceState(null, '', pending.back || '/ui/');
  return sessionFrom(tokens);
}

/**
 * Run once before the app renders: reads the backend's sign-in settings, finishes a sign-in that is coming back,
 * reuses a stored token (renewed first when it is about to expire) or starts a sign-in (the page then leaves for the
 * provider).
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
      adopt(config, await completeSignIn(config, params));
      return { kind: 'signed-in', session: current!, config };
    }
    const stored = JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Session | null;
    if (stored) {
      adopt(config, stored);
      if (stored.expiresAt > Date.now() + 10_000 || (await renewSession())) return { kind: 'signed-in', session: current!, config };
      clearTimeout(renewTimer);
      current = null;
      sessionStorage.removeItem(TOKENS);
    }
    if (sessionStorage.getItem(SIGNED_OUT)) return { kind: 'signed-out', config };
    return await signIn(config);
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
