/**
 * Worker consume throughput on RabbitMQ (AMQP_URL, default the local broker): N `gridsquare.updated` events through the
 * worker's dispatcher (real handler registry), with prefetch 1 — the original consumer's `prefetch_count=1` — as the
 * baseline, against prefetch 20. Each run uses its own queue. `npm run bench -- bus-consume [N]`
 */
import { pino } from 'pino';
import { Connection } from 'rabbitmq-client';
import { openDatabase } from '../packages/backend/src/db/index.ts';
import { createBus } from '../packages/backend/src/bus/index.ts';
import { startWorker } from '../packages/backend/src/worker/worker.ts';
import { handlerFamilies } from '../packages/backend/src/worker/handlers/index.ts';
import type { Db } from '../packages/backend/src/db/index.ts';

const n = Number(process.argv[2] ?? 5000);
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const log = pino({ level: 'silent' });

async function run(db: Db, prefetch: number): Promise<number> {
  const queue = `smartem_bench_consume_${prefetch}_${process.pid}`;
  const bus = await createBus({ amqpUrl, queue, log });
  let handled = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const counting = { 'gridsquare.updated': async () => void (++handled === n && done()) };
  try {
    await bus.publish(
      Array.from({ length: n }, (_, i) => ({
        event_type: 'gridsquare.updated',
        uuid: `gs-${i}`,
        grid_uuid: 'g',
        gridsquare_id: String(i),
      })),
    );
    const start = performance.now();
    const worker = await startWorker({ db, bus, log, prefetch, families: [...handlerFamilies, counting] });
    await finished;
    const ms = performance.now() - start;
    await worker.stop();
    return ms;
  } finally {
    await bus.close();
    const connection = new Connection(amqpUrl);
    await connection.queueDelete({ queue });
    await connection.queueDelete({ queue: `${queue}.dlq` });
    await connection.close();
  }
}

const handle = await openDatabase({}); // the entity-event handlers do not query; the dispatcher needs a Db
try {
  const baselineMs = await run(handle.db, 1);
  const prefetchMs = await run(handle.db, 20);
  const rate = (ms: number) => Math.round((n / ms) * 1000);
  console.log(`RabbitMQ consume, ${n} events through the worker dispatcher`);
  console.log('| run | ms | events/s |\n|---|---:|---:|');
  console.log(`| baseline: prefetch 1 (the original consumer) | ${Math.round(baselineMs)} | ${rate(baselineMs)} |`);
  console.log(`| prefetch 20 | ${Math.round(prefetchMs)} | ${rate(prefetchMs)} |`);
  console.log(
    `worker consume: ${rate(prefetchMs)} events/s vs ${rate(baselineMs)} events/s with prefetch 1 → ${(baselineMs / prefetchMs).toFixed(1)}× faster`,
  );
} finally {
  await handle.close();
}
