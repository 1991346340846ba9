/**
 * Outbox relay throughput: N events written to the outbox, then published to the bus and marked published.
 *   relay     — startOutboxRelay().flush(): batches of 500, all confirms of a batch awaited together, one UPDATE a batch
 *   baseline  — the same rows one at a time: publish, await its confirm, mark it (what publish-per-event costs)
 * Uses a scratch database on DATABASE_URL's server (else in-memory PGlite) and a scratch queue on AMQP_URL (else the
 * in-process bus). `npm run bench -- outbox-relay [N]`
 */
import { randomBytes } from 'node:crypto';
import { eq, isNull, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { Connection } from 'rabbitmq-client';
import { openDatabase, migrateDatabase, type Db } from '../packages/backend/src/db/index.ts';
import { outbox } from '../packages/backend/src/db/schema.ts';
import { insertOutbox } from '../packages/backend/src/repositories/outbox.ts';
import { startOutboxRelay } from '../packages/backend/src/outbox/relay.ts';
import { createBus } from '../packages/backend/src/bus/index.ts';
import type { Bus, BusMessage } from '../packages/backend/src/bus/types.ts';
import { createScratchPostgres } from '../packages/backend/test/support/databases.ts';

const n = Number(process.argv[2] ?? 5000);
const log = pino({ level: 'silent' });
const amqpUrl = process.env.AMQP_URL;
const queue = `smartem_bench_${randomBytes(4).toString('hex')}`;

function events(prefix: string): BusMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    event_type: 'foilhole.created',
    uuid: `${prefix}-${i}`,
    foilhole_id: String(i),
    gridsquare_uuid: 'gs',
    gridsquare_id: '1',
  }));
}

async function pending(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.published_at));
  return row?.n ?? -1;
}

async function baseline(db: Db, bus: Bus): Promise<void> {
  for (;;) {
    const rows = await db
      .select({ id: outbox.id, payload: outbox.payload })
      .from(outbox)
      .where(isNull(outbox.published_at))
      .orderBy(outbox.id)
      .limit(500);
    if (rows.length === 0) return;
    for (const row of rows) {
      await bus.publish([row.payload as BusMessage]);
      await db
        .update(outbox)
        .set({ published_at: sql`now()`, attempts: sql`${outbox.attempts} + 1` })
        .where(eq(outbox.id, row.id));
    }
  }
}

async function timed(label: string, db: Db, run: () => Promise<void>): Promise<number> {
  await insertOutbox(db, events(label));
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  if ((await pending(db)) !== 0) throw new Error(`${label}: rows left unpublished`);
  return ms;
}

const scratch = process.env.DATABASE_URL ? await createScratchPostgres() : undefined;
const handle = await openDatabase({ url: scratch?.url, poolSize: 4 });
await migrateDatabase(handle);
const db = handle.db;
const bus = await createBus({ amqpUrl, queue, log });
try {
  const baselineMs = await timed('baseline', db, () => baseline(db, bus));
  const relay = startOutboxRelay({ db, bus, log, pollMs: 60_000 });
  const relayMs = await timed('relay', db, () => relay.flush());
  await relay.stop();
  const rate = (ms: number) => Math.round((n / ms) * 1000);
  console.log(`database: ${handle.kind}, bus: ${bus.kind}, events: ${n}`);
  console.log('| run | ms | events/s |\n|---|---:|---:|');
  console.log(`| baseline (one publish + confirm + UPDATE per event) | ${Math.round(baselineMs)} | ${rate(baselineMs)} |`);
  console.log(`| relay (batches of 500, confirms awaited together) | ${Math.round(relayMs)} | ${rate(relayMs)} |`);
  console.log(
    `outbox relay: ${rate(relayMs)} events/s vs ${rate(baselineMs)} events/s baseline → ${(baselineMs / relayMs).toFixed(1)}× faster`,
  );
} finally {
  await bus.close();
  await handle.close();
  await scratch?.drop();
  if (amqpUrl) {
    const connection = new Connection(amqpUrl);
    await connection.queueDelete({ queue });
    await connection.queueDelete({ queue: `${queue}.dlq` });
    await connection.close();
  }
}
