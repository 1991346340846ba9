/**
 * Live re-ranking latency: after a new result, how long `GET /grids/{uuid}/suggested_squares` takes to recompute
 * (load the grid's squares, holes, micrograph results and predictions, fit the online learner, rank) on a grid of
 * realistic size, next to the baseline of only reading the same rows through the ORM, all columns, in the same run.
 * Target: well under a second.
 *
 *   npm run bench -- decisions-live [--squares 40] [--holes-per-square 150] [--micrographs-per-hole 4] [--decided-holes 2000]
 *
 * PGlite in memory by default; DATABASE_URL runs it on a scratch PostgreSQL database instead.
 */
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { foilhole, gridsquare, micrograph } from '../packages/backend/src/db/schema.ts';
import * as schema from '../packages/backend/src/db/schema.ts';
import { suggestedSquares } from '../packages/backend/src/services/decisions/suggestions.ts';
import { applyProcessingResult } from '../packages/backend/src/services/processing.ts';
import { DEFAULT_QUALITY } from '@smartem/decisions';
import { openTestDatabase } from '../packages/backend/test/support/databases.ts';
import { createRng } from '@smartem/common/rng';

const { values } = parseArgs({
  options: {
    squares: { type: 'string', default: '40' },
    'holes-per-square': { type: 'string', default: '150' },
    'micrographs-per-hole': { type: 'string', default: '4' },
    'decided-holes': { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '5' },
  },
});
const squares = Number(values.squares);
const perSquare = Number(values['holes-per-square']);
const perHole = Number(values['micrographs-per-hole']);
const decided = Number(values['decided-holes']);
const repeats = Number(values.repeats);

const tdb = await openTestDatabase(process.env.DATABASE_URL ? 'postgres' : 'pglite');
const db = tdb.handle.db;
try {
  const rng = createRng(1);
  await db.insert(schema.acquisition).values({ uuid: 'acq', name: 'bench' });
  await db.insert(schema.grid).values({ uuid: 'grid', name: 'bench', acquisition_uuid: 'acq' });
  const squareRows = Array.from({ length: squares }, (_, s) => ({ uuid: `gs${s}`, gridsquare_id: String(s), grid_uuid: 'grid' }));
  await db.insert(gridsquare).values(squareRows);
  const holes = squareRows.flatMap((sq, s) =>
    Array.from({ length: perSquare }, (_, h) => ({
      uuid: `fh${s}-${h}`,
      foilhole_id: `${s}-${h}`,
      gridsquare_uuid: sq.uuid,
      gridsquare_id: sq.gridsquare_id,
      x_location: (h % 12) * 10,
      y_location: Math.floor(h / 12) * 10,
    })),
  );
  for (let i = 0; i < holes.length; i += 2000) await db.insert(foilhole).values(holes.slice(i, i + 2000));
  const squareQuality = squareRows.map(() => rng() * 6 - 3);
  const mics = holes.slice(0, decided).flatMap((h, i) =>
    Array.from({ length: perHole }, (_, k) => ({
      uuid: `m${i}-${k}`,
      micrograph_id: `m${i}-${k}`,
      foilhole_uuid: h.uuid,
      foilhole_id: h.foilhole_id,
      total_motion: 15 + 10 * rng(),
      ctf_max_resolution_estimate: 6 - squareQuality[Number(h.gridsquare_uuid.slice(2))] + 2 * (rng() - 0.5),
      number_of_particles_picked: Math.round(200 + 100 * rng()),
    })),
  );
  for (let i = 0; i < mics.length; i += 2000) await db.insert(micrograph).values(mics.slice(i, i + 2000));
  console.log(
    `grid: ${squares} squares, ${holes.length} foil holes, ${mics.length} micrographs with results on ${decided} holes (${tdb.kind})`,
  );

  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      await f();
      samples.push(performance.now() - t);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  };
  let n = 0;
  const rerank = await time(async () => {
    await applyProcessingResult({ db }, 'ctf.completed', `m0-${n++ % perHole}`, { ctf_max_resolution_estimate: 3 + n / 100 });
    const out = await suggestedSquares(db, 'grid', 'online-learner', DEFAULT_QUALITY);
    if (!out || out.squares.length !== squares) throw new Error('unexpected ranking');
  });
  const readOnly = await time(async () => {
    await db.select().from(gridsquare).where(eq(gridsquare.grid_uuid, 'grid'));
    await db
      .select({ fh: foilhole })
      .from(foilhole)
      .innerJoin(gridsquare, eq(gridsquare.uuid, foilhole.gridsquare_uuid))
      .where(eq(gridsquare.grid_uuid, 'grid'));
    await db
      .select({ m: micrograph })
      .from(micrograph)
      .innerJoin(foilhole, eq(foilhole.uuid, micrograph.foilhole_uuid))
      .innerJoin(gridsquare, eq(gridsquare.uuid, foilhole.gridsquare_uuid))
      .where(eq(gridsquare.grid_uuid, 'grid'));
  });
  console.log(
    `baseline: read the grid's squares, holes and micrographs (ORM rows, all columns): ${readOnly.toFixed(0)} ms (median of ${repeats})`,
  );
  console.log(
    `store one result + recompute suggested squares (online learner): ${rerank.toFixed(0)} ms (median of ${repeats}; target < 1000 ms)`,
  );
  console.log(`re-ranking after a result = ${(rerank / readOnly).toFixed(2)}× reading the rows`);
} finally {
  await tdb.drop();
}
