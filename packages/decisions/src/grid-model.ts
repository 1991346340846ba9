/**
 * The decision engine's in-memory view of one grid: atlas tiles → grid squares → foil-hole groups → foil holes, with
 * what the session has revealed so far. Pure data, no I/O: the backend builds it from the database (and updates it
 * on each result), the benchmark builds it from CryoRL files; both then drive the same authorities and planner.
 */

export interface SquareInput {
  id: string;
  /** Atlas tile holding the square; squares without one share a single implicit tile. */
  tile?: string;
  /** EPU's own hint as a log-odds-like score (positive = EPU thinks the square is good), e.g. from its selection. */
  hint?: number;
}

export interface HoleInput {
  id: string;
  square: string;
  /** Foil-hole group (beam-shift cluster / medium-mag patch); holes without one are grouped by position. */
  group?: string;
  x?: number;
  y?: number;
  /**
   * Per registered quality-prediction model, a log-odds-like score: positive means "predicted good", 0 is the
   * model's own threshold. (A probability p from a model maps to logit(p); a predicted CTF resolution r maps to
   * threshold − r in Å.) Calibration against this grid's revealed quality is learned online.
   */
  predictions?: Readonly<Record<string, number>>;
  /** EPU's foil-hole selection hint (false when EPU's own filters deselected the hole). */
  epuSelected?: boolean;
  /**
   * Other numeric hints whose meaning on quality is unknown in advance (EPU's position quality of the hole, the
   * atlas quality of its square…); the learner standardises each over the grid and learns its sign and weight.
   */
  hints?: Readonly<Record<string, number>>;
}

export interface GridInput {
  squares: readonly SquareInput[];
  holes: readonly HoleInput[];
  /** Holes per automatic group when holes carry no group; default 20 (a typical beam-shift cluster). */
  autoGroupSize?: number;
  /**
   * Lower bound of the continuous margins passed to `observe` (e.g. `CTF_MARGIN_FLOOR` of quality.ts): a margin at
   * or below it only says the hole is at least that bad (censored). Default: no bound.
   */
  marginFloor?: number;
}

export class DecisionGrid {
  readonly holeIds: string[] = [];
  readonly holeIndex = new Map<string, number>();
  readonly squareIds: string[] = [];
  readonly squareIndex = new Map<string, number>();
  readonly tileIds: string[] = [];
  readonly groupIds: string[] = [];
  readonly holeGroup: Int32Array;
  readonly holeSquare: Int32Array;
  readonly holeTile: Int32Array;
  /** Position quadrant of the hole within its group (the learner's `withinGroup: 'quadrant'` option). */
  readonly holeCell: Int32Array;
  cellCount = 0;
  /**
   * Each hole's position within its group, centred on the group's centroid and scaled by the group's RMS radius
   * (0 for a group without spread), so a group-level gradient has the same units on every grid.
   */
  readonly groupX: Float64Array;
  readonly groupY: Float64Array;
  readonly groupSquare: number[] = [];
  readonly squareTile: number[] = [];
  readonly squareHint: Float64Array;
  readonly groupHoles: number[][] = [];
  readonly squareGroups: number[][] = [];
  readonly squareHoles: number[][] = [];
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly epuSelected: Int8Array;
  readonly modelNames: string[];
  readonly hintNames: string[];
  /** hints[k][h]: hint k of hole h, NaN when absent. */
  readonly hints: Float64Array[];
  /** scores[m][h]: model m's score for hole h, NaN when the model has none. */
  readonly scores: Float64Array[];
  /** Revealed quality in [0, 1] per hole (1 good, 0 bad, fractions allowed), NaN while unknown. */
  readonly observed: Float64Array;
  /**
   * Revealed continuous margin per hole, NaN when only the quality is known: how far the hole's quality metric is on
   * the good side of the limit, on the prediction scores' scale (threshold − CTF max resolution, Å), ≥ marginFloor.
   */
  readonly margin: Float64Array;
  /** Margins at or below this are censored (known only to be ≤ it); −∞ when margins are not bounded. */
  readonly marginFloor: number;
  /** Holes already acquired (or being acquired): never suggested again. */
  readonly acquired: Uint8Array;
  /** Incremented on every change, so caches can tell whether they are stale. */
  version = 0;

  constructor(input: GridInput) {
    const tileIndex = new Map<string, number>();
    for (const sq of input.squares) {
      if (this.squareIndex.has(sq.id)) throw new Error(`duplicate grid square id ${sq.id}`);
      const tileKey = sq.tile ?? '';
      let t = tileIndex.get(tileKey);
      if (t === undefined) {
        t = this.tileIds.length;
        tileIndex.set(tileKey, t);
        this.tileIds.push(tileKey);
      }
      this.squareIndex.set(sq.id, this.squareIds.length);
      this.squareIds.push(sq.id);
      this.squareTile.push(t);
      this.squareGroups.push([]);
      this.squareHoles.push([]);
    }
    this.squareHint = Float64Array.from(input.squares, (s) => s.hint ?? 0);
    const n = input.holes.length;
    this.holeGroup = new Int32Array(n);
    this.holeSquare = new Int32Array(n);
    this.holeTile = new Int32Array(n);
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.epuSelected = new Int8Array(n);
    this.observed = new Float64Array(n).fill(NaN);
    this.margin = new Float64Array(n).fill(NaN);
    this.marginFloor = input.marginFloor ?? -Infinity;
    this.acquired = new Uint8Array(n);
    const models = new Set<string>();
    for (const h of input.holes) for (const m of Object.keys(h.predictions ?? {})) models.add(m);
    this.modelNames = [...models].sort();
    this.scores = this.modelNames.map(() => new Float64Array(n).fill(NaN));
    const hintNames = new Set<string>();
    for (const h of input.holes) for (const k of Object.keys(h.hints ?? {})) hintNames.add(k);
    this.hintNames = [...hintNames].sort();
    this.hints = this.hintNames.map(() => new Float64Array(n).fill(NaN));

    const groupIndex = new Map<string, number>();
    const ungrouped: number[] = [];
    input.holes.forEach((h, i) => {
      if (this.holeIndex.has(h.id)) throw new Error(`duplicate foil hole id ${h.id}`);
      const s = this.squareIndex.get(h.square);
      if (s === undefined) throw new Error(`foil hole ${h.id}: unknown grid square ${h.square}`);
      this.holeIndex.set(h.id, i);
      this.holeIds.push(h.id);
      this.holeSquare[i] = s;
      this.holeTile[i] = this.squareTile[s];
      this.x[i] = h.x ?? 0;
      this.y[i] = h.y ?? 0;
      this.epuSelected[i] = h.epuSelected === false ? 0 : 1;
      this.modelNames.forEach((m, k) => {
        const v = h.predictions?.[m];
        if (v !== undefined && Number.isFinite(v)) this.scores[k][i] = v;
      });
      this.hintNames.forEach((name, k) => {
        const v = h.hints?.[name];
        if (v !== undefined && Number.isFinite(v)) this.hints[k][i] = v;
      });
      this.squareHoles[s].push(i);
      if (h.group === undefined) {
        ungrouped.push(i);
        return;
      }
      const key = `${h.square}\u0000${h.group}`;
      let g = groupIndex.get(key);
      if (g === undefined) g = this.addGroup(key, s);
      groupIndex.set(key, g);
      this.assign(i, g);
    });
    this.groupUngrouped(ungrouped, input.autoGroupSize ?? 20);
    this.holeCell = new Int32Array(n);
    this.assignCells();
    this.groupX = new Float64Array(n);
    this.groupY = new Float64Array(n);
    this.centreGroups();
  }

  private centreGroups(): void {
    for (const holes of this.groupHoles) {
      if (holes.length === 0) continue;
      let mx = 0;
      let my = 0;
      for (const h of holes) {
        mx += this.x[h] / holes.length;
        my += this.y[h] / holes.length;
      }
      let ss = 0;
      for (const h of holes) ss += ((this.x[h] - mx) ** 2 + (this.y[h] - my) ** 2) / holes.length;
      const radius = Math.sqrt(ss);
      for (const h of holes) {
        this.groupX[h] = radius > 0 ? (this.x[h] - mx) / radius : 0;
        this.groupY[h] = radius > 0 ? (this.y[h] - my) / radius : 0;
      }
    }
  }

  /** Split every group into up to four cells by the median x and median y of its holes. */
  private assignCells(): void {
    const median = (values: number[]): number => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)] ?? 0;
    };
    for (const holes of this.groupHoles) {
      const mx = median(holes.map((h) => this.x[h]));
      const my = median(holes.map((h) => this.y[h]));
      const cells = new Map<number, number>();
      for (const h of holes) {
        const quadrant = (this.x[h] < mx ? 0 : 1) + (this.y[h] < my ? 0 : 2);
        let cell = cells.get(quadrant);
        if (cell === undefined) {
          cell = this.cellCount++;
          cells.set(quadrant, cell);
        }
        this.holeCell[h] = cell;
      }
    }
  }

  private addGroup(id: string, square: number): number {
    const g = this.groupIds.length;
    this.groupIds.push(id);
    this.groupSquare.push(square);
    this.groupHoles.push([]);
    this.squareGroups[square].push(g);
    return g;
  }

  private assign(hole: number, group: number): void {
    this.holeGroup[hole] = group;
    this.groupHoles[group].push(hole);
  }

  /**
   * Holes without a group: cut each square's holes, in raster order (rows top to bottom, each left to right), into
   * runs of about `size` holes. The microscope acquires a square along this raster, so a run is what it meets in
   * turn: holes of one run are a beam shift apart, and collecting a run whole pays one stage move.
   */
  private groupUngrouped(holes: number[], size: number): void {
    const bySquare = new Map<number, number[]>();
    for (const h of holes) {
      const list = bySquare.get(this.holeSquare[h]) ?? [];
      list.push(h);
      bySquare.set(this.holeSquare[h], list);
    }
    for (const [s, list] of bySquare) {
      const raster = this.rasterOrder(list);
      const cells = Math.max(1, Math.round(raster.length / size));
      const perCell = Math.ceil(raster.length / cells);
      for (let c = 0; c * perCell < raster.length; c++) {
        const g = this.addGroup(`${this.squareIds[s]}\u0000auto-${c}`, s);
        for (const h of raster.slice(c * perCell, (c + 1) * perCell)) this.assign(h, g);
      }
    }
  }

  /**
   * `holes` row by row (by y; a new row where y jumps by more than half the largest jump, so positions measured
   * with some noise stay in their row), each row by x.
   */
  private rasterOrder(holes: number[]): number[] {
    const byY = [...holes].sort((a, b) => this.y[a] - this.y[b] || a - b);
    let largest = 0;
    for (let k = 1; k < byY.length; k++) largest = Math.max(largest, this.y[byY[k]] - this.y[byY[k - 1]]);
    const rows: number[][] = [];
    for (let k = 0; k < byY.length; k++) {
      if (k === 0 || this.y[byY[k]] - this.y[byY[k - 1]] > largest / 2) rows.push([]);
      rows.at(-1)!.push(byY[k]);
    }
    return rows.flatMap((row) => row.sort((a, b) => this.x[a] - this.x[b] || a - b));
  }

  /**
   * Record a hole's quality (1 good … 0 bad) and, when known, its continuous margin (see `margin`; below the floor
   * it is recorded at the floor). Recording the same values again changes nothing and returns false.
   */
  observe(hole: number, quality: number, margin?: number): boolean {
    if (!(quality >= 0 && quality <= 1)) throw new Error(`quality of ${this.holeIds[hole]} must be in [0, 1], got ${quality}`);
    if (margin !== undefined && !Number.isFinite(margin))
      throw new Error(`margin of ${this.holeIds[hole]} must be a finite number, got ${margin}`);
    const m = margin === undefined ? NaN : Math.max(this.marginFloor, margin);
    const changedAcq = this.acquired[hole] === 0;
    const sameMargin = Object.is(this.margin[hole], m) || this.margin[hole] === m;
    if (this.observed[hole] === quality && sameMargin && !changedAcq) return false;
    this.observed[hole] = quality;
    this.margin[hole] = m;
    this.acquired[hole] = 1;
    this.version++;
    return true;
  }

  /** Mark a hole as acquired before its quality is known (it leaves the suggestions). */
  markAcquired(hole: number): boolean {
    if (this.acquired[hole] === 1) return false;
    this.acquired[hole] = 1;
    this.version++;
    return true;
  }

  get holeCount(): number {
    return this.holeIds.length;
  }
}
