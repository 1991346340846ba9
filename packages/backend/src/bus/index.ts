import type { Logger } from '@smartem/common';
import { InProcessBus } from './in-process.ts';
import type { Bus } from './types.ts';

export type { Bus, BusMessage, Consumer, DeadLetter, DeliveryInfo, MessageHandler } from './types.ts';
export { PermanentMessageError } from './errors.ts';

/** RabbitMQ when `amqpUrl` is given (loaded lazily), else the in-process bus. */
export async function createBus(opts: {
  amqpUrl?: string;
  queue?: string;
  maxAttempts?: number;
  log: Logger;
  connectionName?: string;
}): Promise<Bus> {
  if (opts.amqpUrl) {
    const { createRabbitBus } = await import('./rabbitmq.ts');
    return createRabbitBus({ ...opts, url: opts.amqpUrl });
  }
  return new InProcessBus(opts);
}
