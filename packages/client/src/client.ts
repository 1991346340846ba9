import {
  BATCH_MAX_ITEMS,
  batchPath,
  KINDS,
  type BatchItem,
  type BatchResponse,
  type BatchResult,
  type CreateBody,
  type EntityKind,
  type EntityRecord,
  imagePath,
  type ImageFrame,
  type ImageKind,
  type Kind,
} from '@smartem/common';
import { HttpTransport, type HttpOptions, type RequestOptions } from './http.ts';
import type { StatusResponse } from './types.ts';

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

  /** `GET /<collection>` of a kind (e.g. `/atlas-tiles`): every row (the original has no pagination). */
  list<K extends EntityKind>(kind: K, opts?: RequestOptions): Promise<EntityRecord<K>[]> {
    return this.http.request('GET', KINDS[kind].route, opts);
  }

  /** `PUT /images/{kind}/{uuid}`: an entity's preview JPEG (idempotent: the same bytes again change nothing). */
  putImage(
    kind: ImageKind,
    uuid: string,
    jpeg: Uint8Array,
    frame: ImageFrame = {},
    opts?: RequestOptions,
  ): Promise<{ changed: boolean; etag: string }> {
    const query = new URLSearchParams(
      Object.entries(frame).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
    );
    const path = `${imagePath(kind, uuid)}${query.size ? `?${query}` : ''}`;
    return this.http.request('PUT', path, { ...opts, body: jpeg, contentType: 'image/jpeg' });
  }

  /** `GET /<collection>/<uuid>`. */
  get<K extends EntityKind>(kind: K, uuid: string, opts?: RequestOptions): Promise<EntityRecord<K>> {
    return this.http.request('GET', `${KINDS[kind].route}/${encodeURIComponent(uuid)}`, opts);
  }

  /** `POST /acquisitions` (not idempotent in the original: no retries unless asked). */
  createAcquisition(body: CreateBody<'acquisition'>, opts: RequestOptions = {}): Promise<EntityRecord<'acquisition'>> {
    return this.http.request('POST', KINDS.acquisition.route, { retries: 0, ...opts, body });
  }

  /** `PUT /acquisitions/<uuid>` with the create body, as the original client does. */
  updateAcquisition(body: CreateBody<'acquisition'>, opts: RequestOptions = {}): Promise<EntityRecord<'acquisition'>> {
    return this.http.request('PUT', `${KINDS.acquisition.route}/${encodeURIComponent(body.uuid)}`, { ...opts, body });
  }

  /**
   * `POST /batch/<route>` of a kind: idempotent upserts. Splits into requests of at most `BATCH_MAX_ITEMS` items and
   * returns one result per item, in order. Retried on network errors and 5xx (safe: the routes are idempotent by uuid
   * and natural id).
   */
  async batch<K extends Kind>(kind: K, items: readonly BatchItem<K>[], opts: RequestOptions = {}): Promise<BatchResult[]> {
    const path = batchPath(kind);
    const results: BatchResult[] = [];
    for (let start = 0; start < items.length; start += BATCH_MAX_ITEMS) {
      const chunk = items.slice(start, start + BATCH_MAX_ITEMS);
      const response = await this.http.request<BatchResponse>('POST', path, { ...opts, body: { items: chunk } });
      if (!response || !Array.isArray(response.results) || response.results.length !== chunk.length) {
        throw new Error(`POST ${path}: expected ${chunk.length} results, got ${JSON.stringify(response)?.slice(0, 200)}`);
      }
      results.push(...response.results);
    }
    return results;
  }
}
