/** The outbox relay on PGlite (always) and PostgreSQL (DATABASE_URL), publishing to the in-process bus. */
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { isNull, sql } from 'drizzle-orm';
import { outbox, outboxDeadLetter, acquisition } from '../src/db/schema.ts';
import { insertOutbox } from '../src/repositories/outbox.ts';
import { startOutboxRelay } from '../src/outbox/relay.ts';
import { InProcessBus } from '../src/bus/in-process.ts';
import type { BusMessage } from '../src/bus/types.ts';
import type { Db } from '../src/db/index.ts';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from './support/databases.ts';
import { silentLog, waitFor } from './support/bus/index.ts';

/** The in-process bus behind a switch that makes every publish fail, as a broker that is down does. */
class SwitchableBus extends InProcessBus {
  down = false;
  published: BusMessage[] = [];
  override async publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
    this.published.push(...messages); // in send order (batches in flight together confirm in any order)
    await super.publish(messages);
  }
  override async probe(): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
    await super.probe();
  }
}

/** The in-process bus with a broker that refuses (nacks) every publish containing one of the `poison` events. */
class PoisonBus extends SwitchableBus {
  constructor(readonly poison: Set<string>) {
    super({ log: silentLog });
  }
  override async publish(messages: readonly BusMessage[]): Promise<void> {
    const refused = messages.find((m) => this.poison.has(String(m.uuid)));
    if (refused) throw new Error(`message ${String(refused.uuid)} was nacked by the broker`);
    await super.publish(messages);
  }
}

function events(n: number, prefix: string): BusMessage[] {
  return Array.from({ length: n }, (_, i) => ({ event_type: 'acquisition.created', uuid: `${prefix}-${i}`, id: null }));
}

async function pendingCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.published_at));
  return row?.n ?? -1;
}

for (const kind of testDatabaseKinds()) {
  describe(`outbox relay on ${kind}`, () => {
    let t: TestDatabase;
    let db: Db;
    before(async () => {
      t = await openTestDatabase(kind);
      db = t.handle.db;
    });
    after(async () => {
      await t?.drop();
    });
    beforeEach(async () => {
      await db.delete(outbox);
      await db.delete(outboxDeadLetter);
    });

    test('publishes committed events in id order and deletes them once published', async () => {
      const bus = new SwitchableBus({ log: silentLog });
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 50, batchSize: 40 });
      const sent = events(250, 'ordered');
      await db.transaction(async (tx) => insertOutbox(tx as unknown as Db, sent));
      relay.wake();
      await relay.flush();
      await relay.stop();
      assert.deepEqual(
        bus.published.map((m) => m.uuid),
        sent.map((m) => m.uuid),
      );
      assert.equal(await pendingCount(db), 0);
      const [left] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox);
      assert.equal(left?.n, 0);
      await bus.close();
    });

    test('rows an earlier version marked published (published_at set, not deleted) are not published again', async () => {
      const bus = new SwitchableBus({ log: silentLog });
      await insertOutbox(db, events(3, 'old'));
      await db.update(outbox).set({ published_at: sql`now()` });
      await insertOutbox(db, events(2, 'new'));
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 50 });
      await relay.flush();
      await relay.stop();
      assert.deepEqual(
        bus.published.map((m) => m.uuid),
        ['new-0', 'new-1'],
      );
      const [left] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox);
      assert.equal(left?.n, 3);
      await bus.close();
    });

    test('nothing is published for a rolled-back write', async () => {
      const bus = new SwitchableBus({ log: silentLog });
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 50 });
      await assert.rejects(
        db.transaction(async (tx) => {
          await insertOutbox(tx as unknown as Db, events(3, 'rolled-back'));
          await tx.insert(acquisition).values({ uuid: 'dup' });
          await tx.insert(acquisition).values({ uuid: 'dup' }); // primary key violation: the whole write rolls back
        }),
      );
      await db.transaction(async (tx) => insertOutbox(tx as unknown as Db, events(1, 'committed')));
      await relay.flush();
      await relay.stop();
      assert.deepEqual(
        bus.published.map((m) => m.uuid),
        ['committed-0'],
      );
      await bus.close();
    });

    test('while the broker is down rows stay with attempts and the error; all are published once it returns', async () => {
      const bus = new SwitchableBus({ log: silentLog });
      bus.down = true;
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 20 });
      await insertOutbox(db, events(30, 'outage'));
      relay.wake();
      await waitFor('a failed attempt recorded', async () => {
        const [row] = await db.select({ attempts: outbox.attempts, error: outbox.last_error }).from(outbox).limit(1);
        return (row?.attempts ?? 0) >= 1 && row?.error !== null;
      });
      await assert.rejects(relay.flush(), /broker unreachable/);
      assert.equal(await pendingCount(db), 30);
      const [failed] = await db.select({ error: outbox.last_error }).from(outbox).limit(1);
      assert.match(failed?.error ?? '', /broker unreachable/);
      // More writes during the outage, then the broker returns: the poll (not a wake-up) publishes everything.
      await insertOutbox(db, events(10, 'during-outage'));
      bus.down = false;
      await waitFor('the outbox to drain after the broker returned', async () => (await pendingCount(db)) === 0);
      await relay.stop();
      const uuids = bus.published.map((m) => m.uuid);
      assert.equal(new Set(uuids).size, 40);
      assert.deepEqual(
        uuids,
        [...events(30, 'outage'), ...events(10, 'during-outage')].map((m) => m.uuid),
      );
      assert.deepEqual(await db.select().from(outboxDeadLetter), [], 'an outage dead-letters nothing');
      await bus.close();
    });

    test('an event the bus always refuses is moved to outbox_dead_letter; every other event is published in order', async () => {
      const sent = events(50, 'poison');
      const poison = new Set(['poison-13', 'poison-29']); // 29 ends its batch of 10: no later row in it, the probe decides
      const bus = new PoisonBus(poison);
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 20, batchSize: 10, maxAttempts: 3 });
      await insertOutbox(db, sent);
      relay.wake();
      await waitFor('the outbox to drain', async () => (await pendingCount(db)) === 0);
      await relay.stop();
      assert.deepEqual(
        bus.published.map((m) => m.uuid),
        sent.filter((m) => !poison.has(m.uuid as string)).map((m) => m.uuid),
      );
      const dead = await db.select().from(outboxDeadLetter).orderBy(outboxDeadLetter.id);
      assert.deepEqual(
        dead.map((d) => (d.payload as BusMessage).uuid),
        ['poison-13', 'poison-29'],
      );
      for (const letter of dead) {
        assert.equal(letter.event_type, 'acquisition.created');
        assert.match(letter.error, /nacked by the broker/);
        assert.ok(letter.attempts >= 3, `attempts ${letter.attempts}`);
      }
      await bus.close();
    });

    test('a lone refused event, nothing after it, is dead-lettered after its attempts when the bus answers a probe', async () => {
      const bus = new PoisonBus(new Set(['alone-0']));
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 20, maxAttempts: 2 });
      await insertOutbox(db, events(1, 'alone'));
      relay.wake();
      await waitFor('the outbox to drain', async () => (await pendingCount(db)) === 0);
      await relay.flush();
      await relay.stop();
      const dead = await db.select().from(outboxDeadLetter);
      assert.deepEqual(
        dead.map((d) => (d.payload as BusMessage).uuid),
        ['alone-0'],
      );
      assert.match(dead[0].error, /nacked by the broker/);
      assert.deepEqual(bus.published, []);
      await bus.close();
    });

    test('a lone event while the broker is down (the probe fails too) stays in the outbox, not dead-lettered', async () => {
      const bus = new SwitchableBus({ log: silentLog });
      bus.down = true;
      const relay = startOutboxRelay({ db, bus, log: silentLog, pollMs: 20, maxAttempts: 2 });
      await insertOutbox(db, events(1, 'alone'));
      await assert.rejects(relay.flush(), /broker unreachable/);
      await assert.rejects(relay.flush(), /broker unreachable/);
      await relay.stop();
      assert.equal(await pendingCount(db), 1);
      assert.deepEqual(await db.select().from(outboxDeadLetter), []);
      bus.down = false;
      const again = startOutboxRelay({ db, bus, log: silentLog, pollMs: 20 });
      await again.flush();
      await again.stop();
      assert.deepEqual(
        bus.published.map((m) => m.uuid),
        ['alone-0'],
      );
      await bus.close();
    });

    if (kind === 'postgres') {
      test('two relays on one database publish every row exactly once (FOR UPDATE SKIP LOCKED)', async () => {
        const bus = new SwitchableBus({ log: silentLog });
        await insertOutbox(db, events(2000, 'shared'));
        const relays = [
          startOutboxRelay({ db, bus, log: silentLog, pollMs: 10, batchSize: 50 }),
          startOutboxRelay({ db, bus, log: silentLog, pollMs: 10, batchSize: 50 }),
        ];
        await waitFor('the outbox to drain', async () => (await pendingCount(db)) === 0);
        await Promise.all(relays.map((r) => r.stop()));
        assert.equal(bus.published.length, 2000);
        assert.equal(new Set(bus.published.map((m) => m.uuid)).size, 2000);
        await bus.close();
      });
    }
  });
}
