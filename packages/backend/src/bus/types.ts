/**
 * The message bus contract. Two adapters implement it: in-process (default, embedded mode) and RabbitMQ (`AMQP_URL`).
 * Messages are the original's JSON bodies: `{"event_type": "gridsquare.created", ...payload}` (snake_case).
 */
export interface BusMessage {
  event_type: string;
  [field: string]: unknown;
}

export interface DeliveryInfo {
  /** 1 on first delivery, incremented on each redelivery after a handler failure. */
  attempt: number;
  redelivered: boolean;
}

/**
 * Resolve to ack; throw to nack (the message is retried, and dead-lettered after the bus's max attempts).
 * Throw a `PermanentMessageError` (`bus/errors.ts`) to dead-letter at once (nothing a retry could fix).
 */
export type MessageHandler = (message: BusMessage, info: DeliveryInfo) => Promise<void>;

export interface Consumer {
  /** Stop taking new messages, wait for in-flight handlers, then resolve. */
  stop(): Promise<void>;
}

export interface DeadLetter {
  /** The message as parsed; the raw body text when it was not a JSON object with an `event_type`. */
  message: BusMessage | string;
  error: string;
  attempts: number;
  failed_at: string;
}

export interface Bus {
  readonly kind: 'in-process' | 'rabbitmq';
  /** The main queue's name (`smartem_backend` unless overridden). */
  readonly queue: string;
  /** Resolves once every message is durably accepted (publisher confirms on RabbitMQ); rejects otherwise. */
  publish(messages: readonly BusMessage[]): Promise<void>;
  /**
   * Resolves if the bus is up and answering, publishing nothing (RabbitMQ: a round trip declaring the main queue
   * passively); rejects otherwise. Tells an event the bus refuses from a broker that is down.
   */
  probe(): Promise<void>;
  /** Competing consumer on the main queue (`smartem_backend`, as the original). */
  consume(handler: MessageHandler, options?: { prefetch?: number }): Promise<Consumer>;
  /** Messages that failed `maxAttempts` times (or were malformed), oldest first, without removing them. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Stop every consumer of this bus (waiting for in-flight handlers) and disconnect. */
  close(): Promise<void>;
}
