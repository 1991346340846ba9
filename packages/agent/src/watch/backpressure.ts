export interface BackpressureOptions {
  /** Entities parsed and waiting for the backend that it can take as soon as it answers (`progressingCount`). */
  count: () => number;
  /** A cheap upper bound of `count` (all pending entities): below `high`, nothing is counted. */
  upperBound: () => number;
  /** Reading is held back at this many, and resumes at `low`. */
  high: number;
  low: number;
  /** While reading, the exact count is taken once per this many micrograph manifests (it costs a pass over them). */
  recountEvery?: number;
}

/**
 * Bounds the agent's memory while it reads faster than the backend stores: once `high` parsed entities wait for the
 * backend, micrograph manifests stay queued (unread, so they cost a path and not their fields) until the backend's
 * acknowledgements bring the count down to `low`. Only micrograph manifests are held: they are the bulk of a visit
 * and nothing waits for them, so every parent that a pending entity waits for is still read.
 */
export class Backpressure {
  private holding = false;
  private sinceCount = 0;

  constructor(private readonly opts: BackpressureOptions) {}

  get isHolding(): boolean {
    return this.holding;
  }

  /** Asked before each micrograph manifest is read: true while reading must wait. */
  hold(): boolean {
    if (this.holding) return true;
    if (this.opts.upperBound() < this.opts.high) {
      this.sinceCount = 0;
      return false;
    }
    if (this.sinceCount++ % (this.opts.recountEvery ?? 32) === 0) this.holding = this.opts.count() >= this.opts.high;
    return this.holding;
  }

  /** After the backend answered a batch: returns true when reading may resume. */
  release(): boolean {
    if (!this.holding || this.opts.count() > this.opts.low) return false;
    this.holding = false;
    this.sinceCount = 0;
    return true;
  }
}
