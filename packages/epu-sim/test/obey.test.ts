// The simulated microscope obeying the Athena Decision Service (the stand-in, in-process on port 0): EPU's default
// order without decisions; squares excluded with include=false are deferred (no files while others remain); acquisitionOrder is followed for
// squares and holes; deselected holes are skipped; the budget stops the session; `bench decisions` reads the
// simulator's ground truth; a CryoRL truth file is laid over the visit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, acquisitionOrderDecision, foilHoleSelectionDecision, includeDecision, type DecisionRecord } from '@smartem/athena';
import { startAthenaMock, type AthenaMock } from '@smartem/athena/mock';
import { loadCryoRl } from '@smartem/decisions/bench/dataset';
import { buildVisit, playVisit, type HoleTruth, type PlayEvent, type VisitOptions } from '../src/index.ts';

const VISIT: VisitOptions = { squares: 3, holesPerSquare: 5, shotsPerHole: 1, seed: 11, atlas: false };
let dir = '';
let mock: AthenaMock;
let runs = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'epu-sim-obey-'));
  mock = await startAthenaMock({ port: 0, log: () => undefined });
});
after(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

/** EPU's default plan for VISIT: the collected squares in order, each with its targeted holes. */
function defaultPlan(seed: number) {
  const grid = buildVisit({ ...VISIT, seed }).grids[0];
  const squares = grid.squares.filter((s) => s.collected).sort((a, b) => a.order - b.order);
  return { grid, squares: squares.map((s) => ({ id: s.id, holes: s.holes.filter((h) => h.selected).map((h) => h.id) })) };
}

/**
 * Registers the visit's session and areas as the agent would, posts the decisions `decide` builds, then plays the
 * visit obeying the stand-in. Each run uses its own seed, so its own session.
 */
async function play(
  decide: (ctx: { sessionId: string }, plan: ReturnType<typeof defaultPlan>) => DecisionRecord[],
  extra: { budget?: number; recheckHoles?: boolean; client?: (sessionId: string) => AthenaClient } = {},
) {
  const seed = 100 + runs++;
  const plan = defaultPlan(seed);
  const client = new AthenaClient({ baseUrl: mock.url, retries: 0 });
  const session = await client.findOrRegisterSession({ sessionName: plan.grid.sessionName });
  const sessionId = session.sessionId!;
  await client.upsertAreas([
    { id: plan.grid.atlasId, sessionId, areaType: 'atlas', parentId: null },
    ...plan.squares.map((s) => ({ id: s.id, sessionId, areaType: 'gridsquare' as const, parentId: plan.grid.atlasId })),
    ...plan.squares.flatMap((s) => s.holes.map((h) => ({ id: h, sessionId, areaType: 'foilhole' as const, parentId: s.id }))),
  ]);
  const decisions = decide({ sessionId }, plan);
  if (decisions.length > 0) await client.postDecisions(decisions);
  const events: PlayEvent[] = [];
  const out = join(dir, `run${seed}`);
  const summary = await playVisit({
    out,
    ...VISIT,
    seed,
    fast: true,
    athena: { url: mock.url, timeoutSeconds: 0, ...(extra.client ? { client: extra.client(sessionId) } : {}) },
    onEvent: (e) => void events.push(e),
    ...(extra.budget === undefined ? {} : { budget: extra.budget }),
    // Squares found one by one, each square's selection read once (the tests below are about each query).
    prepareSquares: false,
    recheckHoles: extra.recheckHoles ?? false,
  });
  // Writes finish out of order (many in flight); the time stamp in each manifest's name gives the acquisition order.
  const holesWritten = events
    .filter((e) => e.type === 'file' && e.kind === 'foilhole-manifest')
    .map((e) => /FoilHole_(\d+)_(\d+_\d+)\.xml$/.exec(e.path)!)
    .sort((a, b) => (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0))
    .map((m) => Number(m[1]))
    .filter((id, i, all) => all.indexOf(id) === i);
  const gridDir = join(out, plan.grid.dirName);
  return { plan, summary, acq: summary.acquisition!, holesWritten, gridDir };
}

test("without decisions the simulator collects in EPU's default order and asks before every square and square's holes", async () => {
  const { plan, acq, holesWritten, gridDir } = await play(() => []);
  assert.deepEqual(
    acq.squareOrder,
    plan.squares.map((s) => s.id),
  );
  assert.deepEqual(
    acq.holeOrder,
    plan.squares.flatMap((s) => s.holes),
  );
  assert.deepEqual(holesWritten, acq.holeOrder);
  assert.equal(acq.decisionsFound, 0);
  // per square: acquisitionOrder + gridSquareSelection + include, then foilHoleSelection + acquisitionOrder
  assert.equal(acq.decisionQueries, plan.squares.length * 5);
  for (const s of plan.squares) assert.ok(existsSync(join(gridDir, 'Images-Disc1', `GridSquare_${s.id}`)));
});

test('a square with include=false is deferred, not dropped: collected once only skipped squares remain', async () => {
  const { plan, acq, holesWritten } = await play((ctx, p) => [includeDecision(ctx, p.squares[0].id, false)]);
  const skipped = plan.squares[0];
  assert.deepEqual(
    acq.squareOrder,
    [...plan.squares.slice(1), skipped].map((s) => s.id),
  );
  assert.equal(acq.squaresSkipped, 1);
  assert.deepEqual(acq.skippedSquares, [skipped.id]);
  assert.deepEqual(holesWritten.slice(-skipped.holes.length), skipped.holes, "the skipped square's holes come last");
});

test('with a budget that runs out first, a skipped square is never collected: no files of it are written', async () => {
  const { plan, acq, holesWritten, gridDir } = await play((ctx, p) => [includeDecision(ctx, p.squares[0].id, false)], { budget: 9 });
  const skipped = plan.squares[0];
  assert.ok(acq.budgetSpent);
  assert.ok(!acq.squareOrder.includes(skipped.id));
  assert.ok(!existsSync(join(gridDir, 'Images-Disc1', `GridSquare_${skipped.id}`)));
  assert.ok(holesWritten.every((h) => !skipped.holes.includes(h)));
});

test('acquisitionOrder is followed for squares (on the atlas) and for holes (on the square)', async () => {
  const { plan, acq, holesWritten } = await play((ctx, p) => [
    acquisitionOrderDecision(ctx, p.grid.atlasId, [p.squares[2].id, p.squares[0].id]),
    acquisitionOrderDecision(ctx, p.squares[2].id, [...p.squares[2].holes].reverse()),
  ]);
  assert.deepEqual(acq.squareOrder, [plan.squares[2].id, plan.squares[0].id, plan.squares[1].id]);
  assert.deepEqual(holesWritten.slice(0, plan.squares[2].holes.length), [...plan.squares[2].holes].reverse());
});

test('holes deselected in foilHoleSelection are skipped', async () => {
  const { plan, acq, holesWritten } = await play((ctx, p) => [
    foilHoleSelectionDecision(ctx, p.squares[1].id, [
      { areaId: p.squares[1].holes[0], include: false },
      { areaId: p.squares[1].holes[3], include: false },
      { areaId: p.squares[1].holes[1], include: true },
    ]),
  ]);
  const dropped = [plan.squares[1].holes[0], plan.squares[1].holes[3]];
  assert.equal(acq.holesDeselected, 2);
  assert.ok(dropped.every((h) => !holesWritten.includes(h)));
  assert.equal(holesWritten.length, plan.squares.flatMap((s) => s.holes).length - 2);
});

test("with recheckHoles, holes deselected after their square started are passed over; without, the square's selection is read once", async () => {
  // The Decision Service's answer changes once the first square is under way: the first re-read of its selection
  // finds two of its holes deselected (posted just before the service answers it).
  const changing = (square: () => { id: number; holes: number[] }) => (sessionId: string) =>
    new (class extends AthenaClient {
      posted = false;
      override async latestDecision(...args: Parameters<AthenaClient['latestDecision']>) {
        const sq = square();
        if (!this.posted && args[1].areaId === sq.id) {
          this.posted = true;
          await this.postDecisions([
            foilHoleSelectionDecision(
              { sessionId },
              sq.id,
              [sq.holes[2]!, sq.holes[3]!].map((areaId) => ({ areaId, include: false })),
            ),
          ]);
        }
        return super.latestDecision(...args);
      }
    })({ baseUrl: mock.url, retries: 0 });
  let first: { id: number; holes: number[] } | undefined;
  const once = await play(
    (_ctx, p) => {
      first = p.squares[0];
      return [];
    },
    { client: changing(() => first!) },
  );
  assert.equal(once.acq.holesDeselected, 0, 'read once: nothing deselected');
  assert.equal(once.holesWritten.length, once.plan.squares.flatMap((s) => s.holes).length);

  let square: { id: number; holes: number[] } | undefined;
  const rechecked = await play(
    (_ctx, p) => {
      square = p.squares[0];
      return [];
    },
    { recheckHoles: true, client: changing(() => square!) },
  );
  const dropped = [square!.holes[2]!, square!.holes[3]!];
  assert.equal(rechecked.acq.holesDeselected, 2);
  assert.equal(rechecked.acq.holesDeselectedLate, 2);
  assert.ok(
    dropped.every((h) => !rechecked.holesWritten.includes(h)),
    'the holes deselected late are not collected',
  );
  assert.deepEqual(
    rechecked.holesWritten.slice(0, 3),
    square!.holes.filter((h) => !dropped.includes(h)),
    'the rest of the square is',
  );
  assert.equal(rechecked.holesWritten.length, rechecked.plan.squares.flatMap((s) => s.holes).length - 2);
});

test('the budget stops the session once spent (the crossing hole counts), and good holes are counted by the truth', async () => {
  const { acq, summary } = await play(() => [], { budget: 9 });
  assert.ok(acq.budgetSpent);
  assert.ok(acq.beamTime > 9);
  // the first hole is free, 2 per hole within a square (each its own patch), 6 to the next square: 5 holes = 8,
  // then the move to the next square crosses the budget and its hole still counts
  assert.deepEqual([acq.holesCollected, acq.beamTime], [6, 8 + 6]);
  const truth = await loadCryoRl(summary.groundTruthCsv);
  const good = new Set(truth.holes.filter((h) => h.ctf <= 6).map((h) => Number(h.id)));
  assert.equal(acq.goodHoles, acq.holeOrder.filter((h) => good.has(h)).length);
});

test('a CryoRL truth file is laid over the visit: one square per truth square, holes by patch, its CTF decides good holes', async () => {
  // 2 squares on 2 tiles: square A has patches a1 (2 holes) and a2 (1 hole); square B one patch of 2 holes.
  const name = (tile: number, sq: number, hl: number, en: number) =>
    `21mar02c_grid1c_${String(tile).padStart(5, '0')}gr_${String(sq).padStart(5, '0')}sq_v01_${String(hl).padStart(5, '0')}hl_v01_${String(en).padStart(5, '0')}en-a`;
  const rows = [
    [name(1, 1, 2, 1), 4.1], // a2
    [name(1, 1, 1, 2), 9.5], // a1
    [name(1, 1, 1, 1), 5.0], // a1
    [name(2, 3, 4, 1), 100000], // B: failed fit
    [name(2, 3, 4, 2), 3.2], // B
  ];
  const truthFile = join(dir, 'cryorl.csv');
  writeFileSync(truthFile, rows.map(([n, ctf]) => `${n},0,0,${ctf},0.9`).join('\n') + '\n');
  const summary = await playVisit({ out: join(dir, 'cryorl'), shotsPerHole: 1, seed: 3, atlas: false, fast: true, truth: truthFile });
  const acq = summary.acquisition!;
  assert.equal(summary.counts.gridSquaresCollected, 2);
  assert.equal(acq.holesCollected, 5);
  assert.equal(acq.goodHoles, 3); // 4.1, 5.0, 3.2 Å
  // EPU's order meets square A's patches in turn (a1 then a2), then square B: costs 0, 1, 2, then 8 (other tile), 1
  assert.equal(acq.beamTime, 0 + 1 + 2 + 8 + 1);
  // the simulator's ground-truth.csv agrees with the truth on every hole
  const own = await loadCryoRl(summary.groundTruthCsv);
  assert.deepEqual(own.holes.map((h) => h.ctf <= 6).sort(), [false, false, true, true, true]);
});

test('with truthStart k, the first square EPU collects is the k-th truth square (by name), where an offline episode of it starts', async () => {
  // Three squares of 1, 2 and 3 holes (patches of their own), named so that name order is s1, s2, s3.
  const name = (sq: number, en: number) => `21mar02c_grid1c_00001gr_0000${sq}sq_v01_00001hl_v01_0000${en}en-a`;
  const rows = [1, 2, 2, 3, 3, 3].map((sq, i) => `${name(sq, i + 1)},0,0,5,0.9`);
  const truthFile = join(dir, 'three-squares.csv');
  writeFileSync(truthFile, rows.join('\n') + '\n');
  const names = ['00001gr_00001sq', '00001gr_00002sq', '00001gr_00003sq'];
  for (const start of [0, 1, 2]) {
    let truth: HoleTruth | undefined;
    const summary = await playVisit({
      out: join(dir, `three-${start}`),
      shotsPerHole: 1,
      seed: 5,
      atlas: false,
      fast: true,
      truth: truthFile,
      truthStart: start,
      onTruth: (t) => (truth = t),
    });
    const first = truth!.index.get(summary.acquisition!.holeOrder[0]!)!;
    assert.ok(truth!.grid.dataset.holes[first]!.square.endsWith(names[start]!), `start ${start}: first hole in ${names[start]}`);
  }
});

test('a truth file whose holes do not fit, and --grids 2 with --athena, are refused with a clear error', async () => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'grid_dir,gridsquare_id,foilhole_id,quality,gridsquare_quality,collected\nG,1,12,1.5,0.5,true\nG,1,13,0.5,0.5,true\n');
  await assert.rejects(
    playVisit({ out: join(dir, 'bad'), truth: bad, fast: true, atlas: false }),
    /bad\.csv: line 2, column 4: quality must be a number in \[0, 1\], got "1\.5"/,
  );
  await assert.rejects(
    playVisit({
      out: join(dir, 'two'),
      grids: 2,
      squares: 1,
      holesPerSquare: 2,
      shotsPerHole: 1,
      fast: true,
      atlas: false,
      athena: { url: mock.url, timeoutSeconds: 0 },
    }),
    /one grid; got --grids 2/,
  );
});

test("a Decision Service that cannot be reached does not stop the microscope: EPU's default order, failures counted", async () => {
  const closed = await startAthenaMock({ port: 0, log: () => undefined });
  const url = closed.url;
  await closed.close();
  const plan = defaultPlan(7);
  const summary = await playVisit({ out: join(dir, 'unreachable'), ...VISIT, seed: 7, fast: true, athena: { url, timeoutSeconds: 0 } });
  const acq = summary.acquisition!;
  assert.deepEqual(
    acq.squareOrder,
    plan.squares.map((s) => s.id),
  );
  assert.equal(acq.holesCollected, plan.squares.flatMap((s) => s.holes).length);
  assert.equal(acq.decisionsFound, 0);
  assert.ok(acq.decisionServiceUnavailable >= 1);
});

/** Plays VISIT obeying the stand-in through a client that notes, at each foilHoleSelection query, whose targets are on disk. */
async function playNotingTargets(seed: number, extra: { prepareSquares?: boolean } = {}) {
  const { grid, squares } = defaultPlan(seed);
  const out = join(dir, `targets${seed}`);
  const targetsOnDisk = (sq: (typeof squares)[number]): boolean => {
    const path = join(out, grid.dirName, 'Metadata', `GridSquare_${sq.id}.dm`);
    return existsSync(path) && readFileSync(path, 'utf8').includes(`<FoilHoleImagePath`);
  };
  const seen: Array<{ square: number; ready: number[] }> = [];
  class NotingClient extends AthenaClient {
    override async timedDecision(...args: Parameters<AthenaClient['timedDecision']>) {
      if (args[1].decisionType === 'foilHoleSelection')
        seen.push({ square: args[1].areaId, ready: squares.filter(targetsOnDisk).map((s) => s.id) });
      return super.timedDecision(...args);
    }
  }
  const client = new NotingClient({ baseUrl: mock.url, retries: 0 });
  await playVisit({ out, ...VISIT, seed, fast: true, athena: { url: mock.url, timeoutSeconds: 0, client }, ...extra });
  return { squares, seen };
}

test("a square's hole targets are on disk before the simulator asks about its holes; by default every square's are written first", async () => {
  const each = await playNotingTargets(150, { prepareSquares: false });
  assert.equal(each.seen.length, each.squares.length);
  for (const [i, q] of each.seen.entries()) {
    assert.ok(q.ready.includes(q.square), `square ${q.square}'s targets written before its holes were asked about`);
    assert.ok(!each.squares.slice(i + 1).some((s) => q.ready.includes(s.id)), 'later squares not prepared yet');
  }
  const prepared = await playNotingTargets(151);
  assert.equal(prepared.seen.length, prepared.squares.length);
  // (An earlier square's targets may be in the middle of their rewrite; those not collected yet are all there.)
  for (const [i, q] of prepared.seen.entries())
    for (const s of prepared.squares.slice(i))
      assert.ok(q.ready.includes(s.id), `square ${s.id} prepared before square ${i + 1} was asked about`);
});
