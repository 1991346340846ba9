import type { Socket } from 'node:net';
import { Connection, ConsumerStatus, type ConnectionOptions, type Publisher } from 'rabbitmq-client';
import type { Logger } from '@smartem/common';
import { decodeMessage, runDelivery } from './delivery.ts';
import { TRANSIENT_RETRY_DELAY_MS } from './errors.ts';
import type { Bus, BusMessage, Consumer, DeadLetter, MessageHandler } from './types.ts';

/** The original's header: how many times this message has already failed (absent on first delivery). */
export const RETRY_COUNT_HEADER = 'x-retry-count';
const ERROR_HEADER = 'x-smartem-error';
const FAILED_AT_HEADER = 'x-smartem-failed-at';

export interface RabbitBusOptions {
  url: string;
  /** Main queue; the dead-letter queue is `<queue>.dlq`. */
  queue?: string;
  maxAttempts?: number;
  log: Logger;
  /** Shown in the broker's connection list (`rabbitmqctl list_connections user_provided_name`). */
  connectionName?: string;
  /** How long `createRabbitBus` waits for the first connection before going on (it keeps retrying after). */
  connectTimeoutMs?: number;
}

/**
 * RabbitMQ as the original used it: the default exchange, a durable queue `smartem_backend`, persistent JSON with
 * `content_type: application/json`, manual acks and prefetch. rabbitmq-client reconnects, re-declares and re-subscribes
 * by itself. A failed message is republished with `x-retry-count` + 1 (classic queues do not count redeliveries) and
 * acked; after `maxAttempts` failures — or at once when malformed — it goes to `<queue>.dlq` with the reason.
 */
export class RabbitBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  readonly queue: string;
  readonly deadLetterQueue: string;
  private readonly connection: Connection;
  private readonly publisher: Publisher;
  private readonly maxAttempts: number;
  private readonly log: Logger;
  private readonly consumers = new Set<Consumer>();

  constructor(opts: RabbitBusOptions) {
    this.queue = opts.queue ?? 'smartem_backend';
    this.deadLetterQueue = `${this.queue}.dlq`;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.log = opts.log;
    this.connection = new Connection({
      url: opts.url,
      connectionName: opts.connectionName ?? `smartem-${process.pid}`,
      retryLow: 200,
      retryHigh: 5_000,
      // Bounds how long a publish waits for a lost connection (x maxAttempts below): a SIGTERM flush with the broker
      // gone gives up after ~10 s, leaving the rows in the outbox for the next relay.
      acquireTimeout: 5_000,
      // Room for a whole corked relay batch (see publish); the default 16 KiB would send it ~70 messages at a time.
      // (net.connect honours the Duplex option; Node's types do not list it.)
      socket: { writableHighWaterMark: 4 << 20 } as unknown as ConnectionOptions['socket'],
    });
    this.connection.on('error', (err: unknown) => this.log.warn({ err }, 'RabbitMQ connection error; reconnecting'));
    this.connection.on('connection', () => this.log.info({ queue: this.queue }, 'RabbitMQ connected'));
    this.publisher = this.connection.createPublisher({
      confirm: true,
      maxAttempts: 2,
      queues: [
        { queue: this.queue, durable: true },
        { queue: this.deadLetterQueue, durable: true },
      ],
    });
  }

  /** Wait for the first connection; log and go on if the broker is not there yet (publishes fail until it is). */
  async connect(timeoutMs: number): Promise<void> {
    try {
      await this.connection.onConnect(timeoutMs, true);
    } catch (err) {
      this.log.warn({ err }, `RabbitMQ not reachable after ${timeoutMs} ms; retrying in the background`);
    }
  }

  async publish(messages: readonly BusMessage[]): Promise<void> {
    // Send concurrently, then wait for every confirm: ~10x faster than awaiting each (ts-stack §5). rabbitmq-client
    // writes each message to the socket on its own; corking it sends the batch in one write, which costs this
    // process and the broker less CPU per message (bench/bus-publish `-cork`).
    const socket = this.socket();
    socket?.cork();
    let sends: Array<Promise<void>>;
    try {
      sends = messages.map((message) => this.send(this.queue, JSON.stringify(message)));
    } finally {
      socket?.uncork();
    }
    await Promise.all(sends);
  }

  async probe(): Promise<void> {
    await this.connection.queueDeclare({ queue: this.queue, passive: true });
  }

  /** The connection's current socket (rabbitmq-client keeps it in a private field, replaced on reconnect). */
  private socket(): Socket | undefined {
    const socket = (this.connection as unknown as { _socket?: Socket })._socket;
    return socket && typeof socket.cork === 'function' && !socket.destroyed ? socket : undefined;
  }

  async consume(handler: MessageHandler, options: { prefetch?: number } = {}): Promise<Consumer> {
    const prefetch = Math.max(1, options.prefetch ?? 10);
    const sub = this.connection.createConsumer(
      {
        queue: this.queue,
        queueOptions: { durable: true },
        qos: { prefetchCount: prefetch },
        concurrency: prefetch,
        requeue: true,
      },
      async (msg) => {
        const headers = (msg.headers ?? {}) as Record<string, unknown>;
        const previousFailures = Number(headers[RETRY_COUNT_HEADER] ?? 0);
        const attempt = (Number.isFinite(previousFailures) ? previousFailures : 0) + 1;
        const outcome = await runDelivery({ body: msg.body, attempt, maxAttempts: this.maxAttempts, handler, log: this.log });
        if (outcome.action === 'requeue') {
          // Pause while holding the slot (an outage slows the consumer down), then back to its place in the queue.
          await new Promise((resolve) => setTimeout(resolve, TRANSIENT_RETRY_DELAY_MS));
          return ConsumerStatus.REQUEUE;
        }
        // Republish before acking: if this process dies in between, the message is delivered twice, never lost.
        if (outcome.action === 'retry') {
          await this.send(this.queue, bodyText(msg.body), { [RETRY_COUNT_HEADER]: attempt });
        } else if (outcome.action === 'dead') {
          await this.send(this.deadLetterQueue, bodyText(msg.body), {
            [RETRY_COUNT_HEADER]: attempt,
            [ERROR_HEADER]: outcome.error.slice(0, 1000),
            [FAILED_AT_HEADER]: new Date().toISOString(),
          });
        }
        return ConsumerStatus.ACK;
      },
    );
    sub.on('error', (err: unknown) => this.log.warn({ err }, 'RabbitMQ consumer error'));
    const consumer: Consumer = {
      stop: async () => {
        this.consumers.delete(consumer);
        await sub.close();
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    // Peek: get without acking, then close the channel so the broker puts every message back in its place.
    const channel = await this.connection.acquire();
    const letters: DeadLetter[] = [];
    try {
      await channel.queueDeclare({ queue: this.deadLetterQueue, durable: true });
      while (letters.length < limit) {
        const msg = await channel.basicGet({ queue: this.deadLetterQueue, noAck: false });
        if (!msg) break;
        const headers = (msg.headers ?? {}) as Record<string, unknown>;
        const decoded = decodeMessage(msg.body);
        letters.push({
          message: 'message' in decoded ? decoded.message : decoded.raw,
          error: String(headers[ERROR_HEADER] ?? ''),
          attempts: Number(headers[RETRY_COUNT_HEADER] ?? 0),
          failed_at: String(headers[FAILED_AT_HEADER] ?? ''),
        });
      }
    } finally {
      await channel.close();
    }
    return letters;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()));
    await this.publisher.close();
    await this.connection.close();
  }

  private send(queue: string, body: string, headers?: Record<string, unknown>): Promise<void> {
    return this.publisher.send(
      { routingKey: queue, durable: true, contentType: 'application/json', ...(headers ? { headers } : {}) },
      Buffer.from(body, 'utf8'),
    );
  }
}

/** The body to republish: the original bytes when they did not parse, else the JSON text. */
function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (typeof body === 'string') return body;
  return JSON.stringify(body);
}

/**
 * Opens one connection to the broker and closes it again: resolves once the broker has accepted it, rejects with the
 * first failure (connection refused, login refused, …) rather than retrying as a bus connection does.
 */
export async function probeRabbitMQ(url: string): Promise<void> {
  const connection = new Connection({ url, connectionName: `smartem-probe-${process.pid}`, retryLow: 60_000, retryHigh: 60_000 });
  try {
    await new Promise<void>((resolve, reject) => {
      connection.once('connection', resolve);
      connection.once('error', (err: Error) => {
        // A refusal while logging in comes as "undefined: ACCESS_REFUSED - …" (no method named yet).
        err.message = err.message.replace(/^undefined: /, '');
        reject(err);
      });
    });
  } finally {
    await connection.close();
  }
}

export async function createRabbitBus(opts: RabbitBusOptions): Promise<RabbitBus> {
  const bus = new RabbitBus(opts);
  await bus.connect(opts.connectTimeoutMs ?? 10_000);
  return bus;
}
