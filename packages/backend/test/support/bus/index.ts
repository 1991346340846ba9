/**
 * Bus test support: a silent logger, polling for a condition, and one factory per bus adapter with its own queue
 * names (RabbitMQ only when `AMQP_URL` is set), so test files can run at the same time.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Connection } from 'rabbitmq-client';
import type { Logger } from '@smartem/common';
import { createBus } from '../../../src/bus/index.ts';
import type { Bus } from '../../../src/bus/types.ts';

export const silentLog: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Poll until `check` returns true; fail with `what` after `timeoutMs` (a safety net, not a timing assertion). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export type BusKind = 'in-process' | 'rabbitmq';

export function busKinds(env: NodeJS.ProcessEnv = process.env): BusKind[] {
  return env.AMQP_URL ? ['in-process', 'rabbitmq'] : ['in-process'];
}

export function uniqueQueueName(prefix = 'smartem_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface TestBus {
  bus: Bus;
  queue: string;
  /** Close the bus and, on RabbitMQ, delete its queues. */
  dispose(): Promise<void>;
}

export async function openTestBus(
  kind: BusKind,
  opts: { maxAttempts?: number; queue?: string; connectionName?: string } = {},
): Promise<TestBus> {
  const queue = opts.queue ?? uniqueQueueName();
  const amqpUrl = kind === 'rabbitmq' ? process.env.AMQP_URL : undefined;
  const bus = await createBus({ amqpUrl, queue, maxAttempts: opts.maxAttempts ?? 3, log: silentLog, connectionName: opts.connectionName });
  return {
    bus,
    queue,
    async dispose() {
      await bus.close();
      if (amqpUrl) await deleteQueues(amqpUrl, [queue, `${queue}.dlq`]);
    },
  };
}

/** A plain connection for what the bus API does not do on purpose: raw bodies, inspecting and deleting queues. */
export async function withRabbit<T>(url: string, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = new Connection({ url, connectionName: 'smartem-test-admin' });
  connection.on('error', () => {});
  try {
    await connection.onConnect(10_000);
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

export async function deleteQueues(url: string, queues: readonly string[]): Promise<void> {
  await withRabbit(url, async (connection) => {
    for (const queue of queues) await connection.queueDelete({ queue });
  });
}
