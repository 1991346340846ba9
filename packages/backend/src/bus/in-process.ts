import type { Logger } from '@smartem/common';
import { runDelivery } from './delivery.ts';
import { TRANSIENT_RETRY_DELAY_MS } from './errors.ts';
import type { Bus, BusMessage, Consumer, DeadLetter, MessageHandler } from './types.ts';

interface QueuedMessage {
  /** The JSON text, as on the wire: consumers get a fresh copy and non-serialisable payloads fail at publish. */
  body: string;
  attempt: number;
  /** Settles the publisher's promise: resolved once handled (acked or dead-lettered), rejected if no consumer is left. */
  settle?: { resolve(): void; reject(error: Error): void };
}

/** Dead letters kept in memory; beyond this the oldest go, so a recurring failure cannot exhaust memory. */
const MAX_DEAD_LETTERS = 10_000;

/** Where the bus keeps its dead letters when they must outlive the process (the embedded database). */
export interface DeadLetterStore {
  add(letter: DeadLetter): Promise<void>;
  /** Oldest first. */
  list(limit: number): Promise<DeadLetter[]>;
}

interface ConsumerSlot {
  handler: MessageHandler;
  prefetch: number;
  inFlight: Set<Promise<void>>;
  stopped: boolean;
}

/**
 * The embedded bus: one in-memory queue in this process with the RabbitMQ adapter's semantics — at-least-once to the
 * handler, competing consumers with prefetch, retry at the tail of the queue, dead-letter after `maxAttempts`.
 * Messages live only in memory, so "durably accepted" means handled: while a consumer is attached, `publish` resolves
 * once every message has been acked or dead-lettered. The outbox relay then marks rows published only after their
 * handlers ran, and a crash leaves unhandled events in the outbox for the next start. With no consumer attached,
 * `publish` resolves at once (there is nobody to wait for).
 */
export class InProcessBus implements Bus {
  readonly kind = 'in-process' as const;
  readonly queue: string;
  private readonly pending: QueuedMessage[] = [];
  private readonly consumers: ConsumerSlot[] = [];
  private readonly dead: DeadLetter[] = [];
  private readonly maxAttempts: number;
  private readonly log: Logger;
  private nextConsumer = 0;
  private closed = false;
  private warnedDeadLetterCap = false;
  private store?: DeadLetterStore;

  constructor(opts: { queue?: string; maxAttempts?: number; log: Logger }) {
    this.queue = opts.queue ?? 'smartem_backend';
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.log = opts.log;
  }

  async publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new Error(`bus ${this.queue} is closed`);
    const bodies = messages.map((message) => JSON.stringify(message));
    if (this.consumers.length === 0) {
      for (const body of bodies) this.pending.push({ body, attempt: 1 });
      return;
    }
    const handled = bodies.map(
      (body) => new Promise<void>((resolve, reject) => this.pending.push({ body, attempt: 1, settle: { resolve, reject } })),
    );
    this.dispatch();
    await Promise.all(handled);
  }

  async consume(handler: MessageHandler, options: { prefetch?: number } = {}): Promise<Consumer> {
    if (this.closed) throw new Error(`bus ${this.queue} is closed`);
    const slot: ConsumerSlot = { handler, prefetch: Math.max(1, options.prefetch ?? 10), inFlight: new Set(), stopped: false };
    this.consumers.push(slot);
    queueMicrotask(() => this.dispatch());
    return {
      stop: async () => {
        slot.stopped = true;
        const index = this.consumers.indexOf(slot);
        if (index >= 0) this.consumers.splice(index, 1);
        await Promise.allSettled([...slot.inFlight]);
        if (this.consumers.length === 0) this.abandonWaitingPublishers();
      },
    };
  }

  /**
   * Keep dead letters in `store` from now on instead of in memory (`smartem up` passes the database). A letter the store
   * fails to write is logged and kept in memory, and listed after the stored ones.
   */
  useDeadLetterStore(store: DeadLetterStore): void {
    this.store = store;
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const stored = this.store ? await this.store.list(limit) : [];
    return [...stored, ...this.dead.slice(0, limit - stored.length).map((letter) => ({ ...letter }))];
  }

  async probe(): Promise<void> {
    if (this.closed) throw new Error(`bus ${this.queue} is closed`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.consumers.splice(0);
    for (const slot of slots) slot.stopped = true;
    await Promise.allSettled(slots.flatMap((slot) => [...slot.inFlight]));
    this.abandonWaitingPublishers();
    if (this.pending.length > 0) this.log.warn({ undelivered: this.pending.length }, 'in-process bus closed with undelivered messages');
  }

  /** No consumer is left to handle what is queued: fail the publishers still waiting (the outbox keeps those rows). */
  private abandonWaitingPublishers(): void {
    for (const queued of this.pending) {
      queued.settle?.reject(new Error(`no consumer left on the in-process bus ${this.queue}`));
      delete queued.settle;
    }
  }

  /** Hand queued messages to consumers with free prefetch capacity, round-robin. */
  private dispatch(): void {
    while (this.pending.length > 0) {
      const slot = this.freeConsumer();
      if (!slot) return;
      const queued = this.pending.shift() as QueuedMessage;
      const run = this.deliver(slot, queued).finally(() => {
        slot.inFlight.delete(run);
        this.dispatch();
      });
      slot.inFlight.add(run);
    }
  }

  private freeConsumer(): ConsumerSlot | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const slot = this.consumers[(this.nextConsumer + i) % this.consumers.length] as ConsumerSlot;
      if (!slot.stopped && slot.inFlight.size < slot.prefetch) {
        this.nextConsumer = (this.nextConsumer + i + 1) % this.consumers.length;
        return slot;
      }
    }
    return undefined;
  }

  private async deliver(slot: ConsumerSlot, queued: QueuedMessage): Promise<void> {
    // Let the publisher's call stack finish first, as a network hop would.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const outcome = await runDelivery({
      body: queued.body,
      attempt: queued.attempt,
      maxAttempts: this.maxAttempts,
      handler: slot.handler,
      log: this.log,
    });
    if (outcome.action === 'retry') {
      this.pending.push({ ...queued, attempt: queued.attempt + 1 });
      return;
    }
    if (outcome.action === 'requeue') {
      // Pause while holding the consumer's slot, so an outage slows the consumer down instead of spinning.
      await new Promise((resolve) => setTimeout(resolve, TRANSIENT_RETRY_DELAY_MS));
      this.pending.unshift(queued);
      return;
    }
    if (outcome.action === 'dead') {
      await this.keepDeadLetter({
        message: outcome.message,
        error: outcome.error,
        attempts: queued.attempt,
        failed_at: new Date().toISOString(),
      });
    }
    queued.settle?.resolve();
  }

  private async keepDeadLetter(letter: DeadLetter): Promise<void> {
    if (this.store) {
      try {
        await this.store.add(letter);
        return;
      } catch (err) {
        this.log.error({ err }, 'in-process bus: cannot store a dead letter, keeping it in memory until the process ends');
      }
    }
    this.dead.push(letter);
    if (this.dead.length > MAX_DEAD_LETTERS) {
      this.dead.shift();
      if (!this.warnedDeadLetterCap) this.log.warn(`more than ${MAX_DEAD_LETTERS} dead letters in memory: dropping the oldest`);
      this.warnedDeadLetterCap = true;
    }
  }
}
