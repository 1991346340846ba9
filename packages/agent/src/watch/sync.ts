import { backoffDelay, ApiError, type BatchItemResult, type SmartEmClient } from '@smartem/client';
import type { Logger } from '@smartem/common';
import { BATCH_ROUTE, ENTITY_KINDS, PARENT_UUID_FIELDS, type EntityKind } from './entities.ts';
import type { Journal } from './journal.ts';
import type { Entity, EntityStore } from './store.ts';

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
  /** Flushed (fsync) before every request; acks are journaled after. Absent in dry-run. */
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

/** The body of one batch item: the merged fields, the entity's uuid and its parents' uuids. */
export function batchBody(store: EntityStore, entity: Entity): Record<string, unknown> {
  const body: Record<string, unknown> = { ...entity.fields };
  if (entity.kind !== 'link') body.uuid = entity.uuid;
  PARENT_UUID_FIELDS[entity.kind].forEach((field, i) => {
    body[field] = store.get(entity.parents[i]!)!.uuid;
  });
  return body;
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

  constructor(private readonly opts: SyncerOptions) {}

  /** Something changed: schedule a round (soon, or after the current backoff). */
  wake(): void {
    if (this.stopped || this.timer || this.running) return;
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
    return ENTITY_KINDS.some((k) => this.opts.store.sendable(k, 1).length > 0);
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
      for (const kind of ENTITY_KINDS) {
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
  private async send(kind: EntityKind, batch: Entity[]): Promise<number> {
    const { store, journal, client, log } = this.opts;
    const versions = batch.map((e) => e.version);
    const bodies = batch.map((e) => batchBody(store, e));
    await journal?.flush();
    let results: BatchItemResult[];
    if (client) {
      // Each call gets a single attempt: the round-level backoff handles an absent backend.
      results = await client.batch(BATCH_ROUTE[kind], bodies as never[], { retries: 0 });
    } else {
      results = batch.map((e) => ({ outcome: 'unchanged', uuid: e.uuid }));
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
    // Acks need not be durable before the next send: a lost ack only means an idempotent resend after a restart.
    void journal?.flush().catch((error: unknown) => log.error({ err: String(error) }, 'journal write failed'));
    return missingParent;
  }
}
