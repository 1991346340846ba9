/**
 * Where the client's bearer tokens come from: a static token, or the OAuth 2.0 client-credentials grant against an
 * OpenID Connect provider's token endpoint (found through discovery), cached and renewed before it expires.
 * Neither the client secret nor a token is ever logged or put into an error message.
 */
import { ApiError } from './errors.ts';

export interface TokenSource {
  /** The bearer token to send now. */
  token(signal?: AbortSignal): Promise<string>;
  /** The backend answered 401 to `token`: forget it. True when asking again can give a different token. */
  invalidate?(token: string): boolean;
}

/** The smallest logger the token source needs (pino's shape). */
export interface TokenLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export function staticToken(value: string): TokenSource {
  return { token: async () => value };
}

/** The provider refused the credentials (`invalid_client`, `unauthorized_client`, …): retrying cannot help. */
export class TokenRequestError extends ApiError {
  constructor(url: string, status: number, body: unknown) {
    const oauth = body as { error?: unknown; error_description?: unknown } | undefined;
    const detail = [oauth?.error, oauth?.error_description].filter((s) => typeof s === 'string' && s).join(': ');
    super('POST', url, status, { detail: `token request refused${detail ? ` (${detail})` : ''}` });
    this.name = 'TokenRequestError';
  }

  override get isAuthError(): boolean {
    return this.status === 400 || this.status === 401 || this.status === 403;
  }
}

export interface ClientCredentialsOptions {
  /** The provider's issuer URL; the token endpoint is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for (none by default). */
  scope?: string;
  timeoutMs?: number;
  log?: TokenLog;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/** Renew this long before expiry: a minute, or half the lifetime of a short-lived token. */
const renewalMargin = (lifetimeMs: number) => Math.min(60_000, lifetimeMs / 2);
/** Lifetime assumed when the provider does not say (`expires_in` is optional in OAuth 2.0). */
const DEFAULT_LIFETIME_MS = 60_000;

export class ClientCredentialsTokenSource implements TokenSource {
  private tokenEndpoint?: Promise<string>;
  private current?: { token: string; renewAt: number };
  private pending?: Promise<string>;
  private readonly now: () => number;

  constructor(private readonly opts: ClientCredentialsOptions) {
    this.now = opts.now ?? Date.now;
  }

  async token(signal?: AbortSignal): Promise<string> {
    if (this.current && this.now() < this.current.renewAt) return this.current.token;
    // One request at a time: concurrent callers share it.
    this.pending ??= this.fetchToken(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  invalidate(token: string): boolean {
    if (this.current?.token === token) this.current = undefined;
    return true;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    const url = await this.endpoint(signal);
    const { clientId, clientSecret, scope } = this.opts;
    // RFC 6749 §2.3.1: form-encode id and secret before the Basic encoding.
    const basic = btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`);
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
    const started = this.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: this.signal(signal),
    });
    const body = (await response.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (!response.ok) {
      this.opts.log?.warn({ client: clientId, status: response.status }, 'the identity provider refused a token');
      if (response.status >= 500) throw new Error(`token endpoint ${url} answered HTTP ${response.status}`);
      throw new TokenRequestError(url, response.status, body);
    }
    if (typeof body?.access_token !== 'string' || !body.access_token)
      throw new Error(`token endpoint ${url} answered without an access_token`);
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    this.current = { token: body.access_token, renewAt: started + lifetimeMs - renewalMargin(lifetimeMs) };
    this.opts.log?.debug({ client: clientId, expiresInSec: Math.round(lifetimeMs / 1000) }, 'obtained an access token');
    return body.access_token;
  }

  private endpoint(signal?: AbortSignal): Promise<string> {
    this.tokenEndpoint ??= this.discover(signal).catch((error: unknown) => {
      this.tokenEndpoint = undefined;
      throw error;
    });
    return this.tokenEndpoint;
  }

  private async discover(signal?: AbortSignal): Promise<string> {
    const url = `${this.opts.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal: this.signal(signal) });
    if (!response.ok) throw new Error(`OpenID discovery at ${url} answered HTTP ${response.status}`);
    const meta = (await response.json()) as { token_endpoint?: unknown };
    if (typeof meta.token_endpoint !== 'string') throw new Error(`OpenID discovery at ${url} names no token_endpoint`);
    return meta.token_endpoint;
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
    return outer ? AbortSignal.any([timeout, outer]) : timeout;
  }
}
