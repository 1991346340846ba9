import { createRng, normal, type Rng } from '@smartem/common/rng';
import type { BenchDataset, BenchHole } from './dataset.ts';

/**
 * Grids the engine has never seen, to check that it generalises. Hole quality is a latent log-odds made of
 * per-level effects (tile, square, group) plus a smooth spatial field inside each group, with a chosen strength at
 * each level (short or long correlation), a chosen fraction of good holes, and predictions with chosen noise and
 * bias. CTF is 6 Å − latent (good ⇔ CTF ≤ 6 Å), the prediction 6 Å − (latent·scale + bias + noise).
 */
export interface SyntheticSpec {
  name: string;
  seed: number;
  tiles: number;
  squaresPerTile: number;
  groupsPerSquare: number;
  holesPerGroup: number;
  /** Mean latent quality (log-odds); with the effects below it sets the fraction of good holes. */
  mean: number;
  sdTile: number;
  sdSquare: number;
  sdGroup: number;
  /** Strength of a linear gradient across each group (neighbouring holes alike) and of per-hole noise. */
  sdGradient: number;
  sdHole: number;
  predictionNoise: number;
  predictionBias: number;
  predictionScale: number;
}

const BASE: Omit<SyntheticSpec, 'name' | 'seed'> = {
  tiles: 6,
  squaresPerTile: 2,
  groupsPerSquare: 6,
  holesPerGroup: 20,
  mean: -0.5,
  sdTile: 1,
  sdSquare: 1.5,
  sdGroup: 2,
  sdGradient: 1,
  sdHole: 1,
  predictionNoise: 1.5,
  predictionBias: 0,
  predictionScale: 1,
};

/** Scenarios with other structure than the CryoRL grid: weak/strong groups, rare/common good holes, poor models. */
export const SYNTHETIC_SCENARIOS: SyntheticSpec[] = [
  { ...BASE, name: 'synthetic: like cryorl', seed: 101 },
  { ...BASE, name: 'synthetic: square-level structure only', seed: 102, sdGroup: 0.3, sdSquare: 2.5, sdGradient: 0.3 },
  { ...BASE, name: 'synthetic: rare good holes (~20%)', seed: 103, mean: -2.5 },
  { ...BASE, name: 'synthetic: mostly good (~70%)', seed: 104, mean: 1.5 },
  { ...BASE, name: 'synthetic: weak structure, noisy holes', seed: 105, sdTile: 0.5, sdSquare: 0.7, sdGroup: 0.8, sdHole: 2 },
  { ...BASE, name: 'synthetic: biased model (+1.5 Å optimistic)', seed: 106, predictionBias: 1.5 },
  { ...BASE, name: 'synthetic: noisy model (σ 3 Å)', seed: 107, predictionNoise: 3 },
  { ...BASE, name: 'synthetic: big squares (12 groups of 30)', seed: 108, squaresPerTile: 1, groupsPerSquare: 12, holesPerGroup: 30 },
];

export function syntheticDataset(spec: SyntheticSpec): BenchDataset {
  const rng = createRng(spec.seed);
  const holes: BenchHole[] = [];
  for (let t = 0; t < spec.tiles; t++) {
    const ut = spec.sdTile * normal(rng);
    for (let s = 0; s < spec.squaresPerTile; s++) {
      const us = spec.sdSquare * normal(rng);
      for (let g = 0; g < spec.groupsPerSquare; g++) {
        const ug = spec.sdGroup * normal(rng);
        const angle = 2 * Math.PI * rng();
        const slope = spec.sdGradient * normal(rng);
        for (let h = 0; h < spec.holesPerGroup; h++) {
          const x = (rng() - 0.5) * 800;
          const y = (rng() - 0.5) * 800;
          const along = (x * Math.cos(angle) + y * Math.sin(angle)) / 400;
          const latent = spec.mean + ut + us + ug + slope * along + spec.sdHole * normal(rng);
          const predictedLatent = latent * spec.predictionScale + spec.predictionBias + spec.predictionNoise * normal(rng);
          const tile = `syn_t${t}`;
          const square = `${tile}_s${s}`;
          const group = `${square}_g${g}`;
          holes.push({ id: `${group}_h${h}`, tile, square, group, x, y, ctf: 6 - latent, predicted: 6 - predictedLatent });
        }
      }
    }
  }
  return { name: spec.name, holes };
}

/** The CryoRL predictions made worse: extra Gaussian noise (Å) and miscalibration (stretch around 6 Å, shift). */
export interface Degradation {
  name: string;
  noise: number;
  stretch: number;
  shift: number;
}

export const DEGRADATIONS: Degradation[] = [
  { name: 'cryorl, predictions + noise σ 1 Å', noise: 1, stretch: 1, shift: 0 },
  { name: 'cryorl, predictions + noise σ 2 Å', noise: 2, stretch: 1, shift: 0 },
  { name: 'cryorl, predictions optimistic by 1 Å', noise: 0, stretch: 1, shift: -1 },
  { name: 'cryorl, predictions pessimistic by 1 Å, stretched ×1.5', noise: 0, stretch: 1.5, shift: 1 },
];

export function degrade(dataset: BenchDataset, d: Degradation, seed = 7): BenchDataset {
  const rng: Rng = createRng(seed);
  return {
    name: d.name,
    holes: dataset.holes.map((h) =>
      h.predicted === undefined ? h : { ...h, predicted: 6 + d.stretch * (h.predicted - 6) + d.shift + d.noise * normal(rng) },
    ),
  };
}
