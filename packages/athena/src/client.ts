/**
 * A client for the Decision Service operations SmartEM uses: sessions, the area tree, area states and decisions.
 * fetch-based (no platform assumptions; runs on the Windows microscope PC). Every call retries network errors,
 * timeouts, 408, 429 and 5xx with exponential backoff and jitter, then throws `AthenaUnavailableError`; a 4xx is an
 * `AthenaRequestError` carrying the service's ProblemDetails. "Not found" answers of lookups come back as `undefined`.
 */
import { fetchJson, withRetries, type BackoffOptions } from '@smartem/client';
import { AthenaRequestError, AthenaTransientError, AthenaUnavailableError } from './errors.ts';
import { API_PREFIX } from './openapi.ts';
import type { Area, AreaState, AreaStateChange, AreaType, DecisionRecord, DecisionType, GridType, PluginType, Session } from './schemas.ts';

export interface AthenaClientOptions {
  /** The service's root, e.g. `http://athena:8000`; operations live under `apiPrefix` below it. */
  baseUrl: string;
  /** Default `/api/v1`. */
  apiPrefix?: string;
  /** Per-attempt timeout (ms), default 10 s. TimedDecision adds its own wait to it. */
  timeoutMs?: number;
  /** Attempts after the first for transient failures, default 5. */
  retries?: number;
  backoff?: BackoffOptions;
  /** Called before each retry (to log it). */
  onRetry?: (info: { method: string; url: string; attempt: number; delayMs: number; error: unknown }) => void;
  fetch?: typeof fetch;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface DecisionQuery {
  areaId: number;
  decisionType?: DecisionType;
  pluginType?: PluginType;
}

interface Request {
  method: string;
  path: string;
  query?: Record<string, string | number | readonly (string | number)[] | undefined>;
  body?: unknown;
  /** Statuses that mean "nothing there" and return undefined instead of throwing. */
  absent?: number[];
  extraTimeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_BATCH = 100;

export class AthenaClient {
  private readonly root: string;
  private readonly opts: AthenaClientOptions;

  constructor(opts: AthenaClientOptions) {
    this.opts = opts;
    this.root = opts.baseUrl.replace(/\/+$/, '') + (opts.apiPrefix ?? API_PREFIX).replace(/\/+$/, '');
  }

  // Sessions

  async findSession(sessionName: string, o: CallOptions = {}): Promise<Session | undefined> {
    return this.call<Session>({ method: 'GET', path: '/Session', query: { sessionName }, absent: [404], ...o });
  }

  async getSession(sessionId: string, o: CallOptions = {}): Promise<Session | undefined> {
    return this.call<Session>({ method: 'GET', path: `/Session/${encodeURIComponent(sessionId)}`, absent: [404], ...o });
  }

  async registerSession(session: { sessionName: string; sessionId?: string; gridType?: GridType }, o: CallOptions = {}): Promise<Session> {
    return (await this.call<Session>({ method: 'POST', path: '/Session', body: session, ...o }))!;
  }

  /**
   * The session named `sessionName` (EPU's session name), registering it when it does not exist yet. A 409 on
   * registration means someone else (EPU, or our own retried request) registered it meanwhile: it is read back.
   */
  async findOrRegisterSession(session: { sessionName: string; gridType?: GridType }, o: CallOptions = {}): Promise<Session> {
    const existing = await this.findSession(session.sessionName, o);
    if (existing) return existing;
    try {
      return await this.registerSession(session, o);
    } catch (err) {
      if (!(err instanceof AthenaRequestError) || err.status !== 409) throw err;
      const raced = await this.findSession(session.sessionName, o);
      if (!raced) throw err;
      return raced;
    }
  }

  // Areas

  /** Registers new areas (409 when one exists: use `upsertAreas` to be idempotent). Sent in batches. */
  async registerAreas(areas: readonly Area[], o: CallOptions & { batchSize?: number } = {}): Promise<Area[]> {
    const out: Area[] = [];
    for (const batch of batches(areas, o.batchSize)) {
      out.push(...((await this.call<Area[]>({ method: 'POST', path: '/Areas', body: batch, ...o })) ?? []));
    }
    return out;
  }

  /** Registers or updates areas (`PUT /Areas`); safe to repeat. Parents should come before their children. */
  async upsertAreas(areas: readonly Area[], o: CallOptions & { batchSize?: number } = {}): Promise<void> {
    for (const batch of batches(areas, o.batchSize)) await this.call({ method: 'PUT', path: '/Areas', body: batch, ...o });
  }

  async getArea(sessionId: string, areaId: number, o: CallOptions = {}): Promise<Area | undefined> {
    return this.call<Area>({ method: 'GET', path: `/Session/${encodeURIComponent(sessionId)}/Area/${areaId}`, absent: [404], ...o });
  }

  async listAreas(sessionId: string, filter: { areaType?: AreaType; parentAreaId?: number } = {}, o: CallOptions = {}): Promise<Area[]> {
    return (await this.call<Area[]>({ method: 'GET', path: `/Session/${encodeURIComponent(sessionId)}/Areas`, query: filter, ...o })) ?? [];
  }

  // Area states

  async postAreaState(change: AreaStateChange, o: CallOptions = {}): Promise<AreaState> {
    return (await this.call<AreaState>({ method: 'POST', path: '/AreaState', body: change, ...o }))!;
  }

  async postAreaStates(changes: readonly AreaStateChange[], o: CallOptions & { batchSize?: number } = {}): Promise<AreaState[]> {
    const out: AreaState[] = [];
    for (const batch of batches(changes, o.batchSize)) {
      out.push(...((await this.call<AreaState[]>({ method: 'POST', path: '/AreaStates', body: batch, ...o })) ?? []));
    }
    return out;
  }

  async latestAreaState(sessionId: string, areaId: number, o: CallOptions = {}): Promise<AreaState | undefined> {
    const path = `/Session/${encodeURIComponent(sessionId)}/Area/${areaId}/LatestAreaState`;
    return this.call<AreaState>({ method: 'GET', path, absent: [404], ...o });
  }

  // Decisions

  /**
   * Posts decisions in batches (`POST /Decisions`). Build them with the helpers of `decision-values.ts`: each carries
   * its own id and timestamp, so a batch re-sent after a lost reply repeats the same records.
   */
  async postDecisions(decisions: readonly DecisionRecord[], o: CallOptions & { batchSize?: number } = {}): Promise<DecisionRecord[]> {
    const out: DecisionRecord[] = [];
    for (const batch of batches(decisions, o.batchSize)) {
      out.push(...((await this.call<DecisionRecord[]>({ method: 'POST', path: '/Decisions', body: batch, ...o })) ?? []));
    }
    return out;
  }

  async getDecisions(
    sessionId: string,
    filter: { areaIds?: readonly number[]; decisionType?: DecisionType; pluginType?: PluginType } = {},
    o: CallOptions = {},
  ): Promise<DecisionRecord[]> {
    const path = `/Session/${encodeURIComponent(sessionId)}/Decisions`;
    return (await this.call<DecisionRecord[]>({ method: 'GET', path, query: filter, ...o })) ?? [];
  }

  /** The most recent matching decision, or undefined when there is none (204). */
  async latestDecision(sessionId: string, q: DecisionQuery, o: CallOptions = {}): Promise<DecisionRecord | undefined> {
    const path = `/Session/${encodeURIComponent(sessionId)}/LatestDecision`;
    return this.call<DecisionRecord>({ method: 'GET', path, query: { ...q }, ...o });
  }

  /**
   * As `latestDecision`, but the service waits up to `timeoutSeconds` for one to be posted; undefined when none came
   * (204). This is how EPU is expected to ask before acquiring an area.
   */
  async timedDecision(
    sessionId: string,
    q: DecisionQuery & { timeoutSeconds: number },
    o: CallOptions = {},
  ): Promise<DecisionRecord | undefined> {
    const { timeoutSeconds, ...rest } = q;
    const path = `/Session/${encodeURIComponent(sessionId)}/TimedDecision`;
    return this.call<DecisionRecord>({
      method: 'GET',
      path,
      query: { ...rest, timeout: timeoutSeconds },
      extraTimeoutMs: timeoutSeconds * 1000,
      ...o,
    });
  }

  /** Deletes an area's decisions (of one type when given). */
  async deleteDecisions(sessionId: string, q: { areaId: number; decisionType?: DecisionType }, o: CallOptions = {}): Promise<void> {
    await this.call({ method: 'DELETE', path: `/Session/${encodeURIComponent(sessionId)}/Decisions`, query: { ...q }, ...o });
  }

  // Transport

  private async call<T>(r: Request): Promise<T | undefined> {
    const url = this.url(r.path, r.query);
    return withRetries(() => this.once<T>(r, url), {
      retries: this.opts.retries ?? 5,
      backoff: this.opts.backoff,
      signal: r.signal,
      retryable: (error) => !(error instanceof AthenaRequestError),
      giveUp: (error, attempts) =>
        error instanceof AthenaRequestError ? error : new AthenaUnavailableError(r.method, url, attempts, error),
      onRetry: (info) => this.opts.onRetry?.({ method: r.method, url, ...info }),
    });
  }

  private async once<T>(r: Request, url: string): Promise<T | undefined> {
    const response = await fetchJson(url, {
      method: r.method,
      body: r.body,
      timeoutMs: (this.opts.timeoutMs ?? 10_000) + (r.extraTimeoutMs ?? 0),
      signal: r.signal,
      fetch: this.opts.fetch,
    });
    const parsed = response.body;
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      const detail = parsed && typeof parsed === 'object' ? String((parsed as { detail?: unknown }).detail ?? '') : String(parsed ?? '');
      throw new AthenaTransientError(response.status, detail);
    }
    if (r.absent?.includes(response.status) || response.status === 204) return undefined;
    if (!response.ok) throw new AthenaRequestError(r.method, url, response.status, parsed);
    return parsed as T;
  }

  private url(path: string, query: Request['query']): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
      else params.append(key, String(value));
    }
    const qs = params.toString();
    return `${this.root}${path}${qs ? `?${qs}` : ''}`;
  }
}

function* batches<T>(items: readonly T[], size = DEFAULT_BATCH): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batchSize must be a positive integer, got ${size}`);
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
