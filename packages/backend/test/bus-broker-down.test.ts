/**
 * The broker unreachable for a while (AMQP_URL only): the API side reaches RabbitMQ through a proxy that the test takes
 * down. Events committed meanwhile stay in the outbox with the error recorded, and are all delivered once it is back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNull, sql } from 'drizzle-orm';
import { outbox } from '../src/db/schema.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { startOutboxRelay } from '../src/outbox/relay.ts';
import { createBus } from '../src/bus/index.ts';
import type { BusMessage } from '../src/bus/types.ts';
import type { Db } from '../src/db/index.ts';
import { openTestDatabase } from './support/databases.ts';
import { deleteQueues, silentLog, uniqueQueueName, waitFor } from './support/bus/index.ts';
import { TcpProxy } from './support/bus/tcp-proxy.ts';

const amqpUrl = process.env.AMQP_URL;

test('events committed while the broker is unreachable are published when it returns', {
  skip: amqpUrl ? false : 'AMQP_URL is not set',
}, async () => {
  const direct = new URL(amqpUrl as string);
  const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5672) });
  await proxy.up();
  const viaProxy = new URL(direct);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);

  const database = await openTestDatabase(process.env.DATABASE_URL ? 'postgres' : 'pglite');
  const db = database.handle.db;
  const queue = uniqueQueueName('smartem_down');
  const apiBus = await createBus({ amqpUrl: viaProxy.toString(), queue, log: silentLog });
  const workerBus = await createBus({ amqpUrl: direct.toString(), queue, log: silentLog });
  const relay = startOutboxRelay({ db, bus: apiBus, log: silentLog, pollMs: 50 });
  const delivered = new Set<string>();
  const consumer = await workerBus.consume(async (m) => void delivered.add(String(m.uuid)), { prefetch: 20 });
  const write = async (prefix: string, n: number) => {
    const events: BusMessage[] = Array.from({ length: n }, (_, i) => ({
      event_type: 'grid.updated',
      uuid: `${prefix}-${i}`,
      acquisition_uuid: 'a',
    }));
    for (let i = 0; i < n; i += 25) await db.transaction(async (tx) => insertOutbox(tx as unknown as Db, events.slice(i, i + 25)));
    relay.wake();
    return events.map((e) => e.uuid as string);
  };
  const pending = async () => {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.published_at));
    return row?.n ?? -1;
  };
  try {
    const before = await write('before', 100);
    await waitFor('delivery before the outage', () => before.every((u) => delivered.has(u)));

    await proxy.down();
    const during = await write('during', 200);
    await waitFor(
      'the relay to record a failed publish',
      async () => {
        const [row] = await db
          .select({ attempts: outbox.attempts, error: outbox.last_error })
          .from(outbox)
          .where(isNull(outbox.published_at))
          .limit(1);
        return (row?.attempts ?? 0) >= 1 && typeof row?.error === 'string';
      },
      120_000,
    );
    assert.ok((await pending()) > 0, 'events wait in the outbox while the broker is unreachable');

    await proxy.up();
    await waitFor('the outbox to drain after the broker returned', async () => (await pending()) === 0, 120_000);
    await waitFor('every event delivered', () => [...before, ...during].every((u) => delivered.has(u)), 60_000);
    assert.equal(delivered.size, 300);
  } finally {
    await consumer.stop();
    await relay.stop();
    await proxy.up().catch(() => {}); // so the API-side bus can close cleanly
    await Promise.allSettled([apiBus.close(), workerBus.close()]);
    await proxy.down();
    await deleteQueues(amqpUrl as string, [queue, `${queue}.dlq`]).catch(() => {});
    await database.drop();
  }
});
