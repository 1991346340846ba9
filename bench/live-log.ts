// DATABASE_URL=… npm run bench -- live-log [--events 65000] [--batch 1000] [--runs 3]
// What the live stream's change log costs the write path: --events outbox events inserted in statements of --batch
// rows (as batch upserts write them), in a scratch PostgreSQL database, with the trigger that copies them to
// `live_event` and notifies `smartem_live`, against the same inserts with the trigger disabled (the baseline),
// alternating, --runs each. Medians.
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { openTestDatabase } from '../packages/backend/test/support/databases.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '65000' },
    batch: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const RUNS = Number(args.runs);
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set');

const db = await openTestDatabase('postgres');
const d = db.handle.db;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function insertAll(): Promise<number> {
  await d.execute(sql`TRUNCATE outbox, live_event`);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const n = Math.min(BATCH, EVENTS - i);
    await d.execute(sql`INSERT INTO outbox (event_type, payload)
      SELECT 'micrograph.created', jsonb_build_object('event_type', 'micrograph.created', 'uuid', gen_random_uuid()::text,
        'foilhole_uuid', gen_random_uuid()::text, 'foilhole_id', g::text, 'micrograph_id', g::text)
      FROM generate_series(1, ${n}) g`);
  }
  return performance.now() - t0;
}

try {
  const withLog: number[] = [];
  const without: number[] = [];
  await insertAll(); // warm-up
  for (let r = 0; r < RUNS; r++) {
    await d.execute(sql`ALTER TABLE outbox ENABLE TRIGGER outbox_live_event`);
    withLog.push(await insertAll());
    await d.execute(sql`ALTER TABLE outbox DISABLE TRIGGER outbox_live_event`);
    without.push(await insertAll());
  }
  const [a, b] = [median(withLog), median(without)];
  process.stdout.write(
    [
      `${EVENTS} outbox events in statements of ${BATCH}, medians of ${RUNS}:`,
      `| outbox inserts | ms | events/s |`,
      `|---|---:|---:|`,
      `| with the change log (trigger → live_event + NOTIFY) | ${a.toFixed(0)} | ${Math.round((EVENTS / a) * 1000)} |`,
      `| baseline: trigger disabled | ${b.toFixed(0)} | ${Math.round((EVENTS / b) * 1000)} |`,
      `ratio ${(a / b).toFixed(2)}x`,
      '',
    ].join('\n'),
  );
} finally {
  await db.drop();
}
