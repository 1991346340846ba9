/**
 * RabbitMQ connections killed mid-stream (AMQP_URL only): events written through the outbox while the API-side and
 * worker-side connections are closed by the broker are all delivered at least once; none is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isNull, sql } from 'drizzle-orm';
import { outbox } from '../src/db/schema.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { startOutboxRelay } from '../src/outbox/relay.ts';
import { createBus } from '../src/bus/index.ts';
import type { BusMessage } from '../src/bus/types.ts';
import type { Db } from '../src/db/index.ts';
import { openTestDatabase } from './support/databases.ts';
import { deleteQueues, silentLog, uniqueQueueName, waitFor } from './support/bus/index.ts';
import { canControlBroker, killConnections } from './support/bus/broker.ts';

const amqpUrl = process.env.AMQP_URL;

test('outbox → RabbitMQ → consumer survives two connection kills without losing an event', {
  skip: amqpUrl ? false : 'AMQP_URL is not set',
}, async (t) => {
  if (!(await canControlBroker())) {
    t.skip('rabbitmqctl cannot reach the broker from here');
    return;
  }
  const url = amqpUrl as string;
  const database = await openTestDatabase(process.env.DATABASE_URL ? 'postgres' : 'pglite');
  const db = database.handle.db;
  const queue = uniqueQueueName('smartem_kill');
  const prefix = `smartem-kill-${randomBytes(4).toString('hex')}`;
  const apiBus = await createBus({ amqpUrl: url, queue, log: silentLog, connectionName: `${prefix}-api` });
  const workerBus = await createBus({ amqpUrl: url, queue, log: silentLog, connectionName: `${prefix}-worker` });
  const relay = startOutboxRelay({ db, bus: apiBus, log: silentLog, pollMs: 50 });
  try {
    const deliveries = new Map<string, number>();
    const consumer = await workerBus.consume(
      async (message) => {
        const uuid = String(message.uuid);
        deliveries.set(uuid, (deliveries.get(uuid) ?? 0) + 1);
      },
      { prefetch: 20 },
    );

    const written: string[] = [];
    let killing = true;
    const writer = (async () => {
      for (let batch = 0; killing || batch < 20; batch++) {
        const events: BusMessage[] = Array.from({ length: 10 }, (_, i) => ({
          event_type: 'foilhole.created',
          uuid: `fh-${batch}-${i}`,
          foilhole_id: String(batch * 10 + i),
          gridsquare_uuid: 'gs',
          gridsquare_id: '1',
        }));
        await db.transaction(async (tx) => insertOutbox(tx as unknown as Db, events));
        written.push(...events.map((e) => e.uuid as string));
        relay.wake();
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();

    const killed: number[] = [];
    try {
      await waitFor('first deliveries', () => deliveries.size >= 100, 60_000);
      killed.push(await killConnections(prefix));
      const afterFirst = deliveries.size;
      await waitFor('deliveries after the first kill', () => deliveries.size >= afterFirst + 100, 60_000);
      killed.push(await killConnections(prefix));
      const afterSecond = deliveries.size;
      await waitFor('deliveries after the second kill', () => deliveries.size >= afterSecond + 100, 60_000);
    } finally {
      killing = false;
      await writer;
    }
    assert.deepEqual(killed, [2, 2], 'both connections (publisher side and consumer side) were killed twice');

    await waitFor(
      'the outbox to drain',
      async () => {
        const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.published_at));
        return row?.n === 0;
      },
      120_000,
    );
    await waitFor(`all ${written.length} events delivered`, () => written.every((uuid) => deliveries.has(uuid)), 120_000);
    await consumer.stop();

    const missing = written.filter((uuid) => !deliveries.has(uuid));
    assert.deepEqual(missing, []);
    const duplicates = [...deliveries.values()].filter((n) => n > 1).length;
    t.diagnostic(`${written.length} events written, ${deliveries.size} distinct delivered, ${duplicates} delivered more than once`);
    assert.equal(deliveries.size, written.length, 'nothing delivered that was not written');
  } finally {
    await relay.stop();
    await Promise.allSettled([apiBus.close(), workerBus.close()]);
    await deleteQueues(url, [queue, `${queue}.dlq`]).catch(() => {});
    await database.drop();
  }
});
