/**
 * A micrograph's quality from its processing results. Hard limits say what "good" means for this session
 * (configurable: CTF max resolution, total motion, particle count); per-grid running statistics catch outliers the
 * limits do not (a micrograph far worse than the rest of its grid on some metric). Pure: the caller supplies the
 * grid's statistics (from the database, or a RunningStats it keeps).
 */

export interface QualityConfig {
  /** Good only if the CTF max resolution estimate is ≤ this (Å). */
  ctfMaxResolution: number;
  /** Good only if total motion is ≤ this (Å); undefined: no limit. */
  maxTotalMotion?: number;
  /** Good only if at least this many particles were picked; undefined: no limit. */
  minParticles?: number;
  /** Bad when a metric is this many standard deviations worse than the grid's running mean (needs ≥ minSamples). */
  outlierSd: number;
  minSamples: number;
}

export const DEFAULT_QUALITY: QualityConfig = { ctfMaxResolution: 6, outlierSd: 3, minSamples: 10 };

export interface MicrographResults {
  total_motion?: number | null;
  ctf_max_resolution_estimate?: number | null;
  number_of_particles_picked?: number | null;
}

export type Metric = 'total_motion' | 'ctf_max_resolution_estimate' | 'number_of_particles_picked';

/** Which direction is better for each metric. */
export const SMALLER_IS_BETTER: Record<Metric, boolean> = {
  total_motion: true,
  ctf_max_resolution_estimate: true,
  number_of_particles_picked: false,
};

export interface MetricStats {
  count: number;
  mean: number;
  /** Population variance. */
  variance: number;
}

/** Welford's running mean and variance, one per metric and grid. */
export class RunningStats {
  private n = 0;
  private m = 0;
  private s = 0;

  add(x: number): void {
    this.n++;
    const d = x - this.m;
    this.m += d / this.n;
    this.s += d * (x - this.m);
  }

  get stats(): MetricStats {
    return { count: this.n, mean: this.m, variance: this.n > 0 ? this.s / this.n : 0 };
  }
}

export interface QualityVerdict {
  /** 1 good, 0 bad; undefined while no result that decides quality has arrived. */
  quality?: number;
  /** Why it is bad (each failed check), empty when good. */
  reasons: string[];
}

export function micrographQuality(
  results: MicrographResults,
  stats: Partial<Record<Metric, MetricStats>>,
  config: QualityConfig = DEFAULT_QUALITY,
): QualityVerdict {
  const reasons: string[] = [];
  let decided = false;
  const value = (m: Metric): number | undefined => {
    const v = results[m];
    return v === null || v === undefined || !Number.isFinite(v) ? undefined : v;
  };
  const ctf = value('ctf_max_resolution_estimate');
  if (ctf !== undefined) {
    decided = true;
    if (ctf > config.ctfMaxResolution) reasons.push(`CTF max resolution ${ctf} Å > ${config.ctfMaxResolution} Å`);
  }
  const motion = value('total_motion');
  if (motion !== undefined) {
    decided = true;
    if (config.maxTotalMotion !== undefined && motion > config.maxTotalMotion)
      reasons.push(`total motion ${motion} Å > ${config.maxTotalMotion} Å`);
  }
  const particles = value('number_of_particles_picked');
  if (particles !== undefined) {
    decided = true;
    if (config.minParticles !== undefined && particles < config.minParticles)
      reasons.push(`${particles} particles < ${config.minParticles}`);
  }
  for (const m of Object.keys(SMALLER_IS_BETTER) as Metric[]) {
    const v = value(m);
    const s = stats[m];
    if (v === undefined || !s || s.count < config.minSamples || s.variance <= 0) continue;
    const z = (v - s.mean) / Math.sqrt(s.variance);
    const worse = SMALLER_IS_BETTER[m] ? z : -z;
    if (worse > config.outlierSd) reasons.push(`${m} ${v} is ${worse.toFixed(1)} sd worse than this grid's mean ${s.mean.toFixed(2)}`);
  }
  return decided ? { quality: reasons.length === 0 ? 1 : 0, reasons } : { reasons };
}

/** A foil hole's quality: the fraction of its decided micrographs that are good (undefined when none is decided). */
export function holeQuality(verdicts: readonly QualityVerdict[]): number | undefined {
  const decided = verdicts.filter((v) => v.quality !== undefined);
  if (decided.length === 0) return undefined;
  return decided.reduce((a, v) => a + (v.quality ?? 0), 0) / decided.length;
}

/**
 * The lowest CTF margin kept: a fit worse than twice the limit (a failed fit, recorded as e.g. 100000 Å, included)
 * says the micrograph is bad — thick or broken ice, an empty hole, drift — not how near its patch comes to the
 * limit, so beyond −threshold the margin only records "at least this bad" (the learner treats it as censored).
 * Fixed by the definition of the limit, not fitted to any grid.
 */
export function ctfMarginFloor(ctfMaxResolution: number): number {
  return -ctfMaxResolution;
}

/**
 * A hole's continuous quality margin from its micrographs' CTF max resolution estimates: threshold − CTF in Å
 * (positive on the good side: the scale of a predicted resolution's score), each micrograph's bounded below at
 * `ctfMarginFloor`, averaged over the hole's micrographs that have a (positive) one; undefined when none has.
 */
export function ctfMargin(ctfs: readonly (number | null | undefined)[], ctfMaxResolution: number): number | undefined {
  const floor = ctfMarginFloor(ctfMaxResolution);
  let sum = 0;
  let n = 0;
  for (const ctf of ctfs) {
    // +∞ is a failed fit (at the floor); NaN or a non-positive value is no estimate at all.
    if (ctf === null || ctf === undefined || !(ctf > 0)) continue;
    sum += Math.max(floor, ctfMaxResolution - ctf);
    n++;
  }
  return n > 0 ? sum / n : undefined;
}
