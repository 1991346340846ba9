import { HttpTransport, type HttpOptions, type RequestOptions } from './http.ts';
import {
  MAX_BATCH_ITEMS,
  type AcquisitionCreate,
  type BatchItemByKind,
  type BatchItemResult,
  type BatchKind,
  type BatchResponse,
  type EntityResponse,
  type StatusResponse,
} from './types.ts';

/** The original's collection routes, by the entity they list. */
const COLLECTIONS = {
  acquisitions: 'acquisitions',
  grids: 'grids',
  atlases: 'atlases',
  atlasTiles: 'atlas-tiles',
  gridsquares: 'gridsquares',
  foilholes: 'foilholes',
  micrographs: 'micrographs',
} as const;
export type EntityCollection = keyof typeof COLLECTIONS;

/** Typed client of the SmartEM backend API: the original's routes the agent and tools use, and the batch routes. */
export class SmartEmClient {
  readonly http: HttpTransport;

  constructor(opts: HttpOptions) {
    this.http = new HttpTransport(opts);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  getStatus(opts?: RequestOptions): Promise<StatusResponse> {
    return this.http.request('GET', 'status', opts);
  }

  getHealth(opts?: RequestOptions): Promise<Record<string, unknown>> {
    return this.http.request('GET', 'health', opts);
  }

  /** `GET /<collection>`: every row (the original has no pagination). */
  list(collection: EntityCollection, opts?: RequestOptions): Promise<EntityResponse[]> {
    return this.http.request('GET', COLLECTIONS[collection], opts);
  }

  /** `GET /<collection>/<uuid>`. */
  get(collection: EntityCollection, uuid: string, opts?: RequestOptions): Promise<EntityResponse> {
    return this.http.request('GET', `${COLLECTIONS[collection]}/${encodeURIComponent(uuid)}`, opts);
  }

  /** `POST /acquisitions` (not idempotent in the original: no retries unless asked). */
  createAcquisition(body: AcquisitionCreate, opts: RequestOptions = {}): Promise<EntityResponse> {
    return this.http.request('POST', 'acquisitions', { retries: 0, ...opts, body });
  }

  /** `PUT /acquisitions/<uuid>` with the create body, as the original client does. */
  updateAcquisition(body: AcquisitionCreate, opts: RequestOptions = {}): Promise<EntityResponse> {
    return this.http.request('PUT', `acquisitions/${encodeURIComponent(body.uuid)}`, { ...opts, body });
  }

  /**
   * `POST /batch/<kind>`: idempotent upserts. Splits into requests of at most 5,000 items and returns one result per
   * item, in order. Retried on network errors and 5xx (safe: the routes are idempotent by uuid and natural id).
   */
  async batch<K extends BatchKind>(kind: K, items: readonly BatchItemByKind[K][], opts: RequestOptions = {}): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = [];
    for (let start = 0; start < items.length; start += MAX_BATCH_ITEMS) {
      const chunk = items.slice(start, start + MAX_BATCH_ITEMS);
      const response = await this.http.request<BatchResponse>('POST', `batch/${kind}`, { ...opts, body: { items: chunk } });
      if (!response || !Array.isArray(response.results) || response.results.length !== chunk.length) {
        throw new Error(`POST batch/${kind}: expected ${chunk.length} results, got ${JSON.stringify(response)?.slice(0, 200)}`);
      }
      results.push(...response.results);
    }
    return results;
  }
}
