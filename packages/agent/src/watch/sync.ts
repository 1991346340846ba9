import { backoffDelay, ApiError, type SmartEmClient } from '@smartem/client';
import {
  batchItemProblems,
  isBatchItem,
  isEntityKind,
  KIND_ORDER,
  parentsOf,
  type BatchItem,
  type BatchResult,
  type Kind,
  type Logger,
} from '@smartem/common';
import type { Journal } from './journal.ts';
import type { Entity, EntityStore } from './store.ts';
import { timeBatchPost } from './metrics.ts';

export interface SyncStats {
  batches: number;
  sent: number;
  rejected: number;
  /** The backend answered the last request. */
  backendUp: boolean;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface SyncerOptions {
  store: EntityStore;
  /** Flushed before every request (new entities' records fsync'd, in the background while a request is out); acks are journaled after. Absent in dry-run. */
  journal?: Journal;
  /** Absent in dry-run: everything is acknowledged locally. */
  client?: SmartEmClient;
  log: Logger;
  batchSize?: number;
  /** How long to wait for more changes before sending a batch that is not full. */
  lingerMs?: number;
  /** Backoff while the backend is away: `baseMs·2^n` with full jitter, capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Called with each entity the backend acknowledged (latency measurements). */
  onAcked?: (entity: Entity) => void;
  /** Called after the backend answered a batch and the store took its acknowledgements (backpressure release). */
  afterBatch?: () => void;
  /** Fatal: the backend rejects our credentials. */
  onAuthError?: (error: ApiError) => void;
}

/**
 * The batch item of one entity of `kind`: the merged fields, the entity's uuid (kinds that have one) and its parents'
 * uuids — checked against the kind's batch schema, so a field of the wrong type is reported here, naming the field,
 * instead of failing the whole request.
 */
export function batchBody<K extends Kind>(store: EntityStore, kind: K, entity: Entity): { item: BatchItem<K> } | { problems: string[] } {
  const body: Record<string, unknown> = { ...entity.fields };
  if (isEntityKind(kind)) body.uuid = entity.uuid;
  parentsOf(kind).forEach(({ field }, i) => {
    body[field] = store.get(entity.parents[i]!)!.uuid;
  });
  return isBatchItem(kind, body) ? { item: body } : { problems: batchItemProblems(kind, body) };
}

/**
 * Sends what the store has not had acknowledged, kind by kind in parent-before-child order, in batches through the
 * idempotent batch routes. One round at a time; woken by changes; backs off with jitter while the backend is away.
 */
export class Syncer {
  readonly stats: SyncStats = { batches: 0, sent: 0, rejected: 0, backendUp: true, lastError: null, consecutiveFailures: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private retryAt = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** A background fsync was started for the changes made during the request in flight. */
  private synced = false;

  constructor(private readonly opts: SyncerOptions) {}

  /** Something changed: schedule a round (soon, or after the current backoff). */
  wake(): void {
    if (this.stopped || this.timer) return;
    if (this.running) {
      // What changed goes out after the request in flight: make it durable meanwhile, so that the next request need
      // not wait for the disk (one such fsync per request, not one per change during a catch-up).
      if (!this.synced) this.opts.journal?.syncSoon();
      this.synced = true;
      return;
    }
    const full = this.opts.store.pendingCount() >= (this.opts.batchSize ?? 1000);
    const delay = Math.max(full ? 0 : (this.opts.lingerMs ?? 5), this.retryAt - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (this.opts.store.pendingCount() > 0 && this.progressPossible()) this.wake();
        else this.notifyIdle();
      });
    }, delay);
  }

  /** Resolves once everything that can be sent now has been acknowledged (orphans may still wait). */
  whenIdle(): Promise<void> {
    if (!this.timer && !this.running && !this.progressPossible()) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.wake();
    });
  }

  /** Stops scheduling; waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.notifyIdle();
  }

  private progressPossible(): boolean {
    return KIND_ORDER.some((k) => this.opts.store.sendable(k, 1).length > 0);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async round(): Promise<void> {
    const { store, log } = this.opts;
    const batchSize = this.opts.batchSize ?? 1000;
    let rejectedThisRound = 0;
    try {
      for (const kind of KIND_ORDER) {
        for (;;) {
          if (this.stopped) return;
          const batch = store.sendable(kind, batchSize);
          if (batch.length === 0) break;
          rejectedThisRound += await this.send(kind, batch);
          if (batch.length < batchSize) break;
        }
      }
      this.stats.backendUp = true;
      this.stats.consecutiveFailures = 0;
      this.retryAt = 0;
      // Children rejected because the backend lacks a parent: the parent is resent next round, after a pause.
      if (rejectedThisRound > 0) this.retryAt = Date.now() + backoffDelay(1, { baseMs: this.opts.backoffBaseMs ?? 250 });
      if (this.opts.journal?.shouldCompact()) await this.opts.journal.compact(store);
    } catch (error) {
      if (error instanceof ApiError && error.isAuthError) {
        this.stopped = true;
        this.opts.onAuthError?.(error);
        return;
      }
      this.stats.backendUp = false;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      const delay = backoffDelay(this.stats.consecutiveFailures, {
        baseMs: this.opts.backoffBaseMs ?? 250,
        maxMs: this.opts.backoffMaxMs ?? 15_000,
      });
      this.stats.consecutiveFailures++;
      this.retryAt = Date.now() + delay;
      log.warn({ err: this.stats.lastError, retryInMs: delay }, 'backend unavailable; keeping everything in the journal and retrying');
    }
  }

  /** Sends one batch; returns how many items were rejected for a missing parent. */
  private async send<K extends Kind>(kind: K, candidates: Entity[]): Promise<number> {
    const { store, journal, client, log } = this.opts;
    const batch: Entity[] = [];
    const bodies: BatchItem<K>[] = [];
    for (const entity of candidates) {
      const body = batchBody(store, kind, entity);
      if ('item' in body) {
        batch.push(entity);
        bodies.push(body.item);
      } else {
        // Not sendable as it stands (a parser produced a value of the wrong type): like a rejection by the backend.
        this.stats.rejected++;
        store.fail(entity.key, entity.version, `invalid ${kind}: ${body.problems.join('; ')}`);
        log.error({ key: entity.key, problems: body.problems }, `invalid ${kind}; not sent`);
      }
    }
    if (batch.length === 0) return 0;
    const versions = batch.map((e) => e.version);
    await journal?.flush();
    this.synced = false;
    let results: BatchResult[];
    if (client) {
      // Each call gets a single attempt: the round-level backoff handles an absent backend.
      results = await timeBatchPost(kind, () => client.batch(kind, bodies, { retries: 0 }));
    } else {
      results = batch.map((e) => ({ requested_uuid: e.uuid, uuid: e.uuid, outcome: 'unchanged' }));
    }
    this.stats.batches++;
    this.stats.sent += batch.length;
    let missingParent = 0;
    results.forEach((r, i) => {
      const entity = batch[i]!;
      if (r.outcome !== 'rejected') {
        // Before the ack: an acknowledged micrograph's fields give way to their digest.
        this.opts.onAcked?.(entity);
        store.ack(entity.key, versions[i]!, r.uuid);
        return;
      }
      this.stats.rejected++;
      if (r.status === 404) {
        // The backend does not have a parent we thought it had (e.g. its database was reset): resend the parents.
        missingParent++;
        for (const p of entity.parents) store.touch(p);
        log.info({ key: entity.key, detail: r.detail }, 'parent missing in the backend; resending it');
      } else {
        store.fail(entity.key, versions[i]!, `${r.status ?? ''} ${r.detail ?? 'rejected'}`.trim());
        log.error({ key: entity.key, status: r.status, detail: r.detail }, `backend rejected ${kind}`);
      }
    });
    this.opts.afterBatch?.();
    // Acks need not be durable (a lost ack only means an idempotent resend after a restart): written, not fsync'd.
    void journal?.writeOut().catch((error: unknown) => log.error({ err: String(error) }, 'journal write failed'));
    return missingParent;
  }
}
