// The hidden ground truth: a spatially correlated quality in [0, 1] for every foil hole.
import { readFileSync } from 'node:fs';
import type { Rng } from './rng.ts';

/** Quality at a point of the grid, coordinates normalised to [0, 1] across the atlas. */
export type QualityField = (u: number, v: number) => number;

/**
 * Built-in default: a few broad Gaussian "good ice" and "bad ice" patches over a gentle gradient, the way ice
 * thickness varies across a real grid, so neighbouring squares and holes have similar quality.
 */
export function defaultQualityField(rng: Rng): QualityField {
  const patches = Array.from({ length: 7 }, () => ({
    u: rng.range(0.1, 0.9),
    v: rng.range(0.1, 0.9),
    radius: rng.range(0.08, 0.25),
    weight: rng.range(-0.45, 0.5),
  }));
  const gu = rng.range(-0.25, 0.25);
  const gv = rng.range(-0.25, 0.25);
  return (u, v) => {
    let q = 0.5 + gu * (u - 0.5) + gv * (v - 0.5);
    for (const p of patches) {
      const d2 = (u - p.u) ** 2 + (v - p.v) ** 2;
      q += p.weight * Math.exp(-d2 / (2 * p.radius * p.radius));
    }
    return clamp01(q);
  };
}

/**
 * `--quality-map FILE`: a CSV of numbers in [0, 1], one row per line (blank lines and `#` comments ignored), laid
 * over the atlas (first row at the top) and interpolated bilinearly.
 */
export function qualityFieldFromCsv(path: string): QualityField {
  const rows = parseQualityCsv(readFileSync(path, 'utf8'), path);
  const h = rows.length;
  const w = rows[0].length;
  const at = (x: number, y: number): number => rows[Math.min(h - 1, Math.max(0, y))][Math.min(w - 1, Math.max(0, x))];
  return (u, v) => {
    const x = clamp01(u) * (w - 1);
    const y = clamp01(v) * (h - 1);
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
    const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
    return top * (1 - fy) + bottom * fy;
  };
}

export function parseQualityCsv(text: string, path: string): number[][] {
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const row = trimmed.split(/[,;\s]+/).map((cell, j) => {
      const n = Number(cell);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        throw new Error(`${path}: line ${i + 1}, column ${j + 1}: "${cell}" is not a quality between 0 and 1`);
      }
      return n;
    });
    if (rows.length > 0 && row.length !== rows[0].length) {
      throw new Error(`${path}: line ${i + 1} has ${row.length} values, the first row has ${rows[0].length}`);
    }
    rows.push(row);
  });
  if (rows.length === 0) throw new Error(`${path}: no quality values`);
  return rows;
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
