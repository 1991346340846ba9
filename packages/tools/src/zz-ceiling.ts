// Throwaway: the offline online-learner under the closed loop's constraints (results L holes late; a square left is closed).
import { createAuthority, DecisionGrid, nextHole } from '@smartem/decisions';
import { GOOD_CTF_ANGSTROM, loadCryoRl } from '@smartem/decisions/bench/dataset';
import { indexDataset, type PolicySpec } from '@smartem/decisions/bench/episode';
import { gridInput } from '../../decisions/src/bench/engine-policy.ts';
import { runPolicies } from '@smartem/decisions';
const d = await loadCryoRl(process.argv[2]!);
const g = indexDataset(d, GOOD_CTF_ANGSTROM);
const spec = (lag: number, closeSquares: boolean): PolicySpec => ({
  name: `lag${lag}${closeSquares ? '+closed' : ''}`,
  needsPredictions: false,
  create(bg) {
    const grid = new DecisionGrid(gridInput(bg, false));
    const engine = createAuthority('online-learner', grid);
    const pending: Array<[number, boolean]> = [];
    let square = -1;
    return {
      start: () => {},
      next: (current, _v, budgetLeft) => {
        const sq = grid.holeSquare[current]!;
        if (closeSquares && square >= 0 && sq !== square) for (const h of grid.squareHoles[square]!) grid.markAcquired(h);
        square = sq;
        const p = engine.estimate();
        let n = nextHole(grid, p, current, { budgetLeft, uncertainty: engine.groupUncertainty?.() });
        return n;
      },
      reveal: (hole, good) => {
        grid.markAcquired(hole);
        pending.push([hole, good]);
        while (pending.length > lag) { const [h, gd] = pending.shift()!; grid.observe(h, gd ? 1 : 0); }
      },
    };
  },
});
const specs = [spec(0, false), spec(0, true), spec(15, false), spec(15, true), spec(25, true)];
const r = runPolicies(g, specs, 480, Number(process.argv[3] ?? 10));
for (const [k, v] of Object.entries(r)) console.log(k, v.mean.toFixed(1), v.runs.join(','));
import { runEpisode } from '@smartem/decisions/bench/episode';
for (const s of [spec(0, false), spec(25, true)]) {
  const seq: Array<[number, number, number]> = [];
  const wrapped: PolicySpec = { ...s, create(bg) { const p = s.create(bg); return { ...p, reveal: (h, good, ctf) => { const sq = bg.square[h]!; const last = seq.at(-1); if (last && last[0] === sq) { last[1]++; last[2] += good ? 1 : 0; } else seq.push([sq, 1, good ? 1 : 0]); p.reveal(h, good, ctf); } }; } };
  const n = runEpisode(g, wrapped, 0, 480);
  console.log(s.name, n, JSON.stringify(seq));
}
const per = new Map<number, [number, number]>();
for (let i = 0; i < g.good.length; i++) { const e = per.get(g.square[i]!) ?? [0, 0]; e[0]++; e[1] += g.good[i]!; per.set(g.square[i]!, e); }
console.log('squares (holes, good):', JSON.stringify([...per].sort((a, b) => a[0] - b[0])));
