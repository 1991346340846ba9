/** The decision engine without I/O: each authority's contract, the planner, the quality derivation. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthority, DecisionGrid, nextHole, rankHoles, rankSquares, type GridInput } from '../src/index.ts';
import { ModelWeightingAuthority } from '../src/model-weighting.ts';
import { OnlineLearnerAuthority } from '../src/online-learner.ts';
import { ctfMargin, ctfMarginFloor, holeQuality, micrographQuality, RunningStats, DEFAULT_QUALITY } from '../src/quality.ts';
import { epuHints } from '../src/epu-hints.ts';

/** Two tiles; square A (tile 1) with groups a1, a2; square B (tile 1) with b1; square C (tile 2) with c1. 10 holes each. */
function input(predictions?: (square: string, group: string, i: number) => Record<string, number>): GridInput {
  const squares = [
    { id: 'A', tile: 't1' },
    { id: 'B', tile: 't1' },
    { id: 'C', tile: 't2' },
  ];
  const groups: Array<[string, string]> = [
    ['A', 'a1'],
    ['A', 'a2'],
    ['B', 'b1'],
    ['C', 'c1'],
  ];
  const holes = groups.flatMap(([square, group]) =>
    Array.from({ length: 10 }, (_, i) => ({
      id: `${group}-${i}`,
      square,
      group,
      x: i % 5,
      y: Math.floor(i / 5),
      predictions: predictions?.(square, group, i),
    })),
  );
  return { squares, holes };
}

const hole = (g: DecisionGrid, id: string): number => g.holeIndex.get(id)!;

describe('decision authorities', () => {
  for (const name of ['random-mock', 'model-weighting', 'online-learner'] as const) {
    test(`${name}: one probability in [0, 1] per hole`, () => {
      const grid = new DecisionGrid(input((_s, g) => ({ m: g === 'b1' ? 2 : -1 })));
      const p = createAuthority(name, grid).estimate();
      assert.equal(p.length, grid.holeCount);
      for (const v of p) assert.ok(v >= 0 && v <= 1, `${v}`);
    });
  }

  test('random-mock: fixed per hole, whatever is revealed (the original mock learns nothing)', () => {
    const grid = new DecisionGrid(input());
    const a = createAuthority('random-mock', grid);
    const before = Array.from(a.estimate());
    for (let i = 0; i < 10; i++) grid.observe(hole(grid, `a1-${i}`), 0);
    assert.deepEqual(Array.from(a.estimate()), before);
    assert.ok(new Set(before).size > 30, 'values differ between holes');
  });

  test('model-weighting: the model that predicted the revealed quality gains weight (the original rewarded the other)', () => {
    const grid = new DecisionGrid(input((_s, g) => ({ right: g === 'a1' ? -2 : 2, wrong: g === 'a1' ? 2 : -2 })));
    const a = new ModelWeightingAuthority(grid);
    assert.deepEqual(a.weights(), { right: 0.5, wrong: 0.5 });
    for (let i = 0; i < 3; i++) grid.observe(hole(grid, `a1-${i}`), 0);
    const w = a.weights();
    assert.ok(w.right > 0.95, JSON.stringify(w));
    const p = a.estimate();
    assert.ok(p[hole(grid, 'b1-0')] > 0.8 && p[hole(grid, 'a1-5')] < 0.2);
  });

  test('online learner: bad results in a group lower its other holes and, less, its square', () => {
    const grid = new DecisionGrid(input());
    const a = new OnlineLearnerAuthority(grid);
    const p0 = a.estimate();
    assert.ok(Math.abs(p0[hole(grid, 'a1-5')] - 0.5) < 1e-9);
    for (let i = 0; i < 4; i++) grid.observe(hole(grid, `a1-${i}`), 0);
    const p = a.estimate();
    const sameGroup = p[hole(grid, 'a1-5')];
    const sameSquare = p[hole(grid, 'a2-0')];
    const otherTile = p[hole(grid, 'c1-0')];
    assert.ok(sameGroup < sameSquare && sameSquare <= otherTile + 1e-9, `${sameGroup} ${sameSquare} ${otherTile}`);
    assert.ok(sameGroup < 0.3);
  });

  test('online learner: learns that a model is wrong on this grid (negative calibration)', () => {
    // The model says a1 is good and b1 bad; the grid shows the opposite.
    const grid = new DecisionGrid(input((_s, g) => ({ m: g === 'a1' || g === 'c1' ? 2 : -2 })));
    const a = new OnlineLearnerAuthority(grid);
    for (let i = 0; i < 5; i++) grid.observe(hole(grid, `a1-${i}`), 0);
    for (let i = 0; i < 5; i++) grid.observe(hole(grid, `b1-${i}`), 1);
    a.estimate();
    assert.ok(a.calibration().m < 0.5, JSON.stringify(a.calibration()));
  });

  test("online learner: learns that a model's group means say more than its per-hole scores (contextual effect)", () => {
    // Six groups of one square; good groups have mean score +2, bad ones −2, and within a group the per-hole score
    // is pure noise (±3). Revealed: two good and two bad groups. Unseen: g4 (good) and g5 (bad).
    const good = (group: number): boolean => group % 2 === 0;
    const holes = Array.from({ length: 60 }, (_, i) => {
      const group = Math.floor(i / 10);
      return {
        id: `g${group}-${i % 10}`,
        square: 'S',
        group: `g${group}`,
        x: i % 5,
        y: Math.floor((i % 10) / 5),
        predictions: { m: (good(group) ? 2 : -2) + (i % 2 === 0 ? 3 : -3) },
      };
    });
    const grid = new DecisionGrid({ squares: [{ id: 'S', tile: 't' }], holes });
    const a = new OnlineLearnerAuthority(grid);
    for (let group = 0; group < 4; group++) for (let i = 0; i < 10; i++) grid.observe(hole(grid, `g${group}-${i}`), good(group) ? 1 : 0);
    const p = a.estimate();
    assert.ok(a.groupContext().m > a.calibration().m, `${JSON.stringify(a.groupContext())} vs ${JSON.stringify(a.calibration())}`);
    // The lowest-scored hole of the good unseen group (score −1) now ranks above the highest of the bad one (+1).
    assert.ok(p[hole(grid, 'g4-1')] > p[hole(grid, 'g5-0')] + 0.2, `${p[hole(grid, 'g4-1')]} vs ${p[hole(grid, 'g5-0')]}`);
  });

  /** `groups` foil-hole groups of 5 × 5 holes (x, y = 0 … 4) in one square, each hole's quality from `quality(x, y)`. */
  function latticeGrid(groups: number): GridInput {
    const holes = Array.from({ length: groups }, (_, g) =>
      Array.from({ length: 25 }, (_, i) => ({
        id: `g${g}-${i % 5}-${Math.floor(i / 5)}`,
        square: 'S',
        group: `g${g}`,
        x: i % 5,
        y: Math.floor(i / 5),
      })),
    ).flat();
    return { squares: [{ id: 'S', tile: 't' }], holes };
  }

  test('online learner, gradient structure: a gradient across a group carries on to its unrevealed holes', () => {
    const grid = new DecisionGrid(latticeGrid(1));
    const a = new OnlineLearnerAuthority(grid, { withinGroup: 'gradient' });
    for (let y = 0; y < 5; y++) {
      grid.observe(hole(grid, `g0-0-${y}`), 1);
      grid.observe(hole(grid, `g0-4-${y}`), 0);
    }
    const p = a.estimate();
    const [left, middle, right] = [1, 2, 3].map((x) => p[hole(grid, `g0-${x}-2`)]);
    assert.ok(left > middle && middle > right, `${left} ${middle} ${right}`);
    assert.ok(left > 0.6 && right < 0.4, `${left} ${right}`);
  });

  test('online learner, quadrant structure (the option): a pattern by position quadrant, which no gradient follows', () => {
    const grid = new DecisionGrid(latticeGrid(6));
    const quadrant = new OnlineLearnerAuthority(grid, { withinGroup: 'quadrant' });
    const gradient = new OnlineLearnerAuthority(grid);
    // Good in two opposite quadrants of every group; in group g0 one hole of each quadrant stays unrevealed.
    const unrevealed = new Set(['g0-0-0', 'g0-4-0', 'g0-0-4', 'g0-4-4']);
    for (let g = 0; g < 6; g++) {
      for (let i = 0; i < 25; i++) {
        const [x, y] = [i % 5, Math.floor(i / 5)];
        if (!unrevealed.has(`g${g}-${x}-${y}`)) grid.observe(hole(grid, `g${g}-${x}-${y}`), x < 2 === y < 2 ? 1 : 0);
      }
    }
    const spread = (p: Float64Array): number =>
      Math.min(p[hole(grid, 'g0-0-0')], p[hole(grid, 'g0-4-4')]) - Math.max(p[hole(grid, 'g0-4-0')], p[hole(grid, 'g0-0-4')]);
    const [byQuadrant, byGradient] = [spread(quadrant.estimate()), spread(gradient.estimate())];
    assert.ok(byQuadrant > 0.3, `quadrant: good corners above bad corners by ${byQuadrant}`);
    assert.ok(byGradient < byQuadrant - 0.3, `gradient: no straight gradient separates them (${byGradient})`);
  });

  test("online learner: learns the sign of an EPU hint from the grid's results", () => {
    // Within every group, holes with a high "position quality" hint turn out bad.
    const base = input();
    const grid = new DecisionGrid({ ...base, holes: base.holes.map((h, i) => ({ ...h, hints: { epu_position_quality: i % 10 } })) });
    const a = new OnlineLearnerAuthority(grid);
    for (const g of ['a1', 'a2', 'b1']) for (let i = 0; i < 10; i += 2) grid.observe(hole(grid, `${g}-${i}`), i < 5 ? 1 : 0);
    const p = a.estimate();
    assert.ok(p[hole(grid, 'c1-1')] > p[hole(grid, 'c1-9')] + 0.2, `${p[hole(grid, 'c1-1')]} vs ${p[hole(grid, 'c1-9')]}`);
  });

  test("online learner: EPU's atlas category is a label whose meaning is learned per grid", () => {
    const none = { atlasQuality: null, atlasCategory: null };
    assert.deepEqual(epuHints({ atlasQuality: 0.5, atlasCategory: 3 }, 2, [1, 3]), {
      epu_atlas_quality: 0.5,
      epu_position_quality: 2,
      epu_atlas_category_1: 0,
      epu_atlas_category_3: 1,
    });
    assert.deepEqual(epuHints({ atlasQuality: null, atlasCategory: 3 }, null, [3]), {}, 'one category on the grid tells nothing');
    assert.deepEqual(epuHints(none, null, [1, 3]), {});
    // Square B (category 3) comes out bad, square A (category 1) good: unseen square C, also category 3, drops.
    const category: Record<string, number> = { A: 1, B: 3, C: 3 };
    const base = input();
    const run = (withCategory: boolean): number => {
      const holes = base.holes.map((h) => ({
        ...h,
        hints: withCategory ? epuHints({ atlasQuality: null, atlasCategory: category[h.square] }, null, [1, 3]) : {},
      }));
      const grid = new DecisionGrid({ ...base, holes });
      const a = new OnlineLearnerAuthority(grid);
      for (let i = 0; i < 10; i++) {
        grid.observe(hole(grid, `a1-${i}`), 1);
        grid.observe(hole(grid, `b1-${i}`), 0);
      }
      return a.estimate()[hole(grid, 'c1-0')];
    };
    assert.ok(run(true) < run(false) - 0.1, `${run(true)} vs ${run(false)}`);
  });

  test('online learner: the CTF margin tells two patches with the same good/bad results apart', () => {
    // a1 and b1 each show three bad holes; a1's fits failed (beyond twice the limit), b1's just missed it.
    const run = (withMargins: boolean): { a: number; b: number } => {
      const grid = new DecisionGrid({ ...input(), marginFloor: ctfMarginFloor(6) });
      const learner = new OnlineLearnerAuthority(grid, { margins: true });
      for (let i = 0; i < 3; i++) {
        grid.observe(hole(grid, `a1-${i}`), 0, withMargins ? ctfMargin([100000], 6) : undefined);
        grid.observe(hole(grid, `b1-${i}`), 0, withMargins ? ctfMargin([6.5], 6) : undefined);
      }
      const p = learner.estimate();
      return { a: p[hole(grid, 'a1-5')], b: p[hole(grid, 'b1-5')] };
    };
    const binary = run(false);
    assert.ok(Math.abs(binary.a - binary.b) < 1e-9, `quality alone cannot tell them apart: ${JSON.stringify(binary)}`);
    const byDefault = new DecisionGrid({ ...input(), marginFloor: -6 });
    for (let i = 0; i < 3; i++) {
      byDefault.observe(hole(byDefault, `a1-${i}`), 0, -6);
      byDefault.observe(hole(byDefault, `b1-${i}`), 0, -0.5);
    }
    const pDefault = new OnlineLearnerAuthority(byDefault).estimate();
    assert.ok(Math.abs(pDefault[hole(byDefault, 'a1-5')] - binary.a) < 1e-9, 'the default learner uses the quality only');
    const margins = run(true);
    assert.ok(margins.a < margins.b - 0.02, JSON.stringify(margins));
  });

  test('online learner: a margin that contradicts the quality (bad for another reason) is not used', () => {
    const grid = new DecisionGrid({ ...input(), marginFloor: -6 });
    const learner = new OnlineLearnerAuthority(grid, { margins: true });
    const other = new DecisionGrid({ ...input(), marginFloor: -6 });
    const binary = new OnlineLearnerAuthority(other);
    for (let i = 0; i < 3; i++) {
      grid.observe(hole(grid, `a1-${i}`), 0, 2); // bad by motion, CTF fine
      other.observe(hole(other, `a1-${i}`), 0);
    }
    assert.deepEqual(Array.from(learner.estimate()), Array.from(binary.estimate()));
  });

  test('observing the same quality and margin twice changes nothing, nor the estimates', () => {
    const grid = new DecisionGrid({ ...input(), marginFloor: -6 });
    const learner = new OnlineLearnerAuthority(grid, { margins: true });
    assert.equal(grid.observe(0, 0, -2), true);
    assert.equal(grid.observe(1, 0, -20), true);
    assert.equal(grid.margin[1], -6, 'recorded at the floor');
    const p = Array.from(learner.estimate());
    const version = grid.version;
    assert.equal(grid.observe(0, 0, -2), false);
    assert.equal(grid.observe(1, 0, -7), false, 'below the floor is the floor');
    assert.equal(grid.version, version);
    assert.deepEqual(Array.from(learner.estimate()), p);
    assert.equal(grid.observe(0, 0), true, 'dropping the margin is a change');
    assert.throws(() => grid.observe(0, 0, NaN), /margin of a1-0/);
  });

  test('the CTF margin: threshold − CTF per micrograph, bounded at the floor, averaged over the hole', () => {
    assert.equal(ctfMarginFloor(6), -6);
    assert.equal(ctfMargin([4], 6), 2);
    assert.equal(ctfMargin([100000], 6), -6);
    assert.equal(ctfMargin([4, 100000, null], 6), -2);
    assert.equal(ctfMargin([null, undefined, NaN, -Infinity, 0], 6), undefined);
    assert.equal(ctfMargin([Infinity], 6), -6);
  });

  test('observing the same quality twice changes nothing', () => {
    const grid = new DecisionGrid(input());
    assert.equal(grid.observe(0, 1), true);
    const version = grid.version;
    assert.equal(grid.observe(0, 1), false);
    assert.equal(grid.version, version);
    assert.throws(() => grid.observe(0, 2), /a1-0.*\[0, 1\]/);
  });
});

describe('planner', () => {
  test('stays in a good group (cheap) and leaves a bad one', () => {
    const grid = new DecisionGrid(input());
    const a = new OnlineLearnerAuthority(grid);
    grid.observe(hole(grid, 'a1-0'), 1);
    grid.observe(hole(grid, 'a1-1'), 1);
    let next = nextHole(grid, a.estimate(), hole(grid, 'a1-1'), { budgetLeft: 15 });
    assert.equal(grid.holeGroup[next], grid.holeGroup[hole(grid, 'a1-0')]);
    for (let i = 2; i < 6; i++) grid.observe(hole(grid, `a1-${i}`), 0);
    grid.observe(hole(grid, 'a1-1'), 0);
    grid.observe(hole(grid, 'a1-0'), 0);
    next = nextHole(grid, a.estimate(), hole(grid, 'a1-5'), { budgetLeft: 15 });
    assert.notEqual(grid.holeGroup[next], grid.holeGroup[hole(grid, 'a1-0')]);
  });

  test('the ranking changes after results arrive: a square whose holes came out bad drops and is skipped', () => {
    const grid = new DecisionGrid(input((s) => ({ m: s === 'A' ? 1 : 0.5 })));
    const a = new OnlineLearnerAuthority(grid);
    const before = rankSquares(grid, a.estimate());
    assert.equal(grid.squareIds[before[0].square], 'A');
    for (let i = 0; i < 6; i++) {
      grid.observe(hole(grid, `a1-${i}`), 0);
      grid.observe(hole(grid, `a2-${i}`), 0);
    }
    const after = rankSquares(grid, a.estimate());
    assert.notEqual(grid.squareIds[after[0].square], 'A');
    assert.equal(after.find((s) => grid.squareIds[s.square] === 'A')?.decision, 'skip');
  });

  test("squares whose holes are not found yet are ranked by the learner's prior: their tile's results count, none is skipped", () => {
    const base = input();
    // D on tile 1 (where A's holes come out good), E on tile 2 (where C's come out bad): no holes known for either.
    const grid = new DecisionGrid({ ...base, squares: [...base.squares, { id: 'D', tile: 't1' }, { id: 'E', tile: 't2' }] });
    const a = new OnlineLearnerAuthority(grid);
    for (let i = 0; i < 8; i++) {
      grid.observe(hole(grid, `a1-${i}`), 1);
      grid.observe(hole(grid, `c1-${i}`), 0);
    }
    const prior = a.squarePrior();
    const d = grid.squareIndex.get('D')!;
    const e = grid.squareIndex.get('E')!;
    assert.ok(prior[d] > prior[e], `tile 1's prior ${prior[d]} above tile 2's ${prior[e]}`);
    const without = rankSquares(grid, a.estimate(), hole(grid, 'a1-7'));
    assert.ok(
      without.every((s) => !s.unseen),
      'without a prior, squares without holes are not ranked as unseen',
    );
    const ranked = rankSquares(grid, a.estimate(), hole(grid, 'a1-7'), { unseenPrior: prior });
    const at = (id: string) => ranked.findIndex((s) => grid.squareIds[s.square] === id);
    assert.ok(ranked[at('D')]!.unseen && ranked[at('E')]!.unseen);
    assert.ok(at('D') < at('E'), 'the unseen square on the good tile comes first');
    assert.ok(at('D') < at('C'), 'and before the square whose holes came out bad');
    assert.equal(ranked[at('E')]!.decision, 'collect', 'an unseen square is not skipped');
  });

  test('suggested holes: every remaining hole of the square once, the group in its order, skipped ones last', () => {
    const grid = new DecisionGrid(input((_s, g, i) => ({ m: g === 'b1' ? i - 5 : 0 })));
    grid.markAcquired(hole(grid, 'b1-9'));
    const holes = rankHoles(grid, createAuthority('model-weighting', grid).estimate(), grid.squareIndex.get('B')!);
    assert.equal(holes.length, 9);
    const collect = holes.filter((h) => h.decision === 'collect').map((h) => grid.holeIds[h.hole]);
    assert.ok(collect.includes('b1-8') && !collect.includes('b1-0'), collect.join());
    assert.deepEqual(collect, [...collect].sort(), "in the group's own order, not best first");
    assert.deepEqual(holes.map((h) => h.decision).slice(-2), ['skip', 'skip']);
  });

  test("suggested holes: each group's holes to collect together, none left and come back to", () => {
    // Square A's groups alternate in P(good) hole by hole, so best first would hop between them.
    const grid = new DecisionGrid(input((_s, g, i) => ({ m: g === 'a1' ? 2 - 0.2 * i : 1.9 - 0.2 * i })));
    const holes = rankHoles(grid, createAuthority('model-weighting', grid).estimate(), grid.squareIndex.get('A')!);
    const groups = holes.filter((h) => h.decision === 'collect').map((h) => grid.holeGroup[h.hole]);
    assert.ok(new Set(groups).size === 2, 'both groups have holes to collect');
    const changes = groups.filter((g, k) => k > 0 && g !== groups[k - 1]).length;
    assert.equal(changes, 1, `one move between the groups: ${groups.join(' ')}`);
  });

  test("the last move's cost does not count: with less time left than any move, the most probable hole anywhere", () => {
    const grid = new DecisionGrid(input((_s, g) => ({ m: g === 'c1' ? 3 : 0.5 })));
    const p = createAuthority('model-weighting', grid).estimate();
    const from = hole(grid, 'a1-0');
    grid.observe(from, 1);
    // With time for a few moves the planner stays near; with less than one unit the far, better tile is free.
    assert.equal(grid.holeGroup[nextHole(grid, p, from, { budgetLeft: 3 })], grid.holeGroup[from]);
    assert.equal(grid.groupIds[grid.holeGroup[nextHole(grid, p, from, { budgetLeft: 0.5 })]], 'C\u0000c1');
  });

  test('holes without a group are cut into runs of the raster: rows top to bottom, each left to right', () => {
    // 6 rows of 10, positions measured with a little noise (as a hole finder's), listed out of order.
    const noise = (i: number) => ((i * 37) % 11) / 100 - 0.05;
    const holes = Array.from({ length: 60 }, (_, i) => ({
      id: `h${i}`,
      square: 'S',
      x: (i % 10) + noise(i),
      y: Math.floor(i / 10) + noise(i + 3),
    }));
    const grid = new DecisionGrid({ squares: [{ id: 'S' }], holes: [...holes].reverse() });
    assert.deepEqual(
      grid.groupHoles.map((g) => g.map((h) => grid.holeIds[h])),
      [0, 1, 2].map((c) => Array.from({ length: 20 }, (_, k) => `h${c * 20 + k}`)),
    );
  });

  test('holes without a group are grouped by position within their square', () => {
    const holes = Array.from({ length: 40 }, (_, i) => ({ id: `h${i}`, square: 'S', x: i % 8, y: Math.floor(i / 8) }));
    const grid = new DecisionGrid({ squares: [{ id: 'S' }], holes });
    assert.equal(grid.groupIds.length, 2);
    assert.deepEqual(
      grid.groupHoles.map((g) => g.length),
      [20, 20],
    );
  });
});

describe('quality derivation', () => {
  test('thresholds decide; results not yet arrived leave quality undecided', () => {
    assert.deepEqual(micrographQuality({}, {}), { reasons: [] });
    assert.equal(micrographQuality({ ctf_max_resolution_estimate: 4.2 }, {}).quality, 1);
    const bad = micrographQuality({ ctf_max_resolution_estimate: 7.5 }, {});
    assert.equal(bad.quality, 0);
    assert.match(bad.reasons[0], /7\.5 Å > 6 Å/);
    const cfg = { ...DEFAULT_QUALITY, maxTotalMotion: 30, minParticles: 50 };
    assert.equal(micrographQuality({ total_motion: 31 }, {}, cfg).quality, 0);
    assert.equal(micrographQuality({ number_of_particles_picked: 49 }, {}, cfg).quality, 0);
    assert.equal(
      micrographQuality({ ctf_max_resolution_estimate: 3, total_motion: 20, number_of_particles_picked: 200 }, {}, cfg).quality,
      1,
    );
  });

  test("a metric far worse than the grid's running statistics marks the micrograph bad", () => {
    const s = new RunningStats();
    for (const v of [20, 22, 18, 21, 19, 20, 23, 17, 20, 20]) s.add(v);
    assert.equal(s.stats.count, 10);
    assert.ok(Math.abs(s.stats.mean - 20) < 1e-9);
    const stats = { total_motion: s.stats };
    assert.equal(micrographQuality({ total_motion: 22 }, stats).quality, 1);
    const outlier = micrographQuality({ total_motion: 40 }, stats);
    assert.equal(outlier.quality, 0);
    assert.match(outlier.reasons[0], /sd worse/);
    // Fewer samples than minSamples: no outlier check.
    assert.equal(micrographQuality({ total_motion: 40 }, { total_motion: { ...s.stats, count: 3 } }).quality, 1);
  });

  test('hole quality is the fraction of its decided micrographs that are good', () => {
    assert.equal(holeQuality([{ quality: 1, reasons: [] }, { quality: 0, reasons: ['x'] }, { reasons: [] }]), 0.5);
    assert.equal(holeQuality([{ reasons: [] }]), undefined);
  });
});

describe('offline episodes under EPU constraints', () => {
  test('never go back into a square they left, and learn from results given late', async () => {
    const { syntheticDataset, SYNTHETIC_SCENARIOS } = await import('../src/bench/synthetic.ts');
    const { indexDataset, runEpisode } = await import('../src/bench/episode.ts');
    const { enginePolicy } = await import('../src/bench/engine-policy.ts');
    // Rare good holes: the free policy goes back into squares it left on some starts.
    const g = indexDataset(syntheticDataset(SYNTHETIC_SCENARIOS.find((sc) => sc.name.includes('rare good holes'))!), 6);
    const squaresOf = (spec: ReturnType<typeof enginePolicy>, seed: number) => {
      // Record the square of every hole the policy picks, in order.
      const order: string[] = [];
      const wrapped = {
        ...spec,
        create: (grid: typeof g) => {
          const p = spec.create(grid);
          return {
            ...p,
            next: (c: number, v: Uint8Array, b: number) => {
              const n = p.next(c, v, b);
              if (n >= 0) order.push(grid.dataset.holes[n]!.square);
              return n;
            },
          };
        },
      };
      const good = runEpisode(g, wrapped, seed, 400);
      const left = new Set<string>();
      let returns = 0;
      for (let i = 1; i < order.length; i++) {
        if (order[i] !== order[i - 1]) left.add(order[i - 1]!);
        if (left.has(order[i]!)) returns++;
      }
      return { good, returns, holes: order.length };
    };
    const seeds = [0, 1, 2, 3, 4, 5];
    const free = seeds.map((seed) => squaresOf(enginePolicy('online-learner', false), seed));
    const epu = seeds.map((seed) => squaresOf(enginePolicy('online-learner', false, false, undefined, { feedbackDelayHoles: 5 }), seed));
    assert.deepEqual(
      epu.map((e) => e.returns),
      seeds.map(() => 0),
      'no move back into a square it left',
    );
    assert.ok(
      free.some((f) => f.returns > 0),
      'without the constraints the same policy does go back (so the check above can fail)',
    );
    for (const e of epu) assert.ok(e.good > 0 && e.holes > 0);
  });
});
