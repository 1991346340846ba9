// EPU's side of the Decision Service, as the simulator plays it: register the session and the areas about to be
// revealed, and before acquiring, ask for the latest decisions with a short `TimedDecision` (204 = none: EPU's own
// choice). Area ids are EPU's natural ids (the atlas's id from Atlas.dm for the atlas area), as `@smartem/athena`
// maps them; registration is an idempotent upsert, so an agent that registered them first is not disturbed.
// A service that cannot be reached does not stop the microscope: after a short retry the step proceeds without
// decisions (EPU's default), and the summary counts it.
import {
  AthenaClient,
  AthenaUnavailableError,
  decodeAcquisitionOrder,
  decodeInclude,
  decodeSelection,
  type Area,
  type DecisionType,
} from '@smartem/athena';
import type { Grid, Hole, Square } from '../model.ts';

export interface DecisionServiceOptions {
  /** The service's root URL (operations under `/api/v1`). */
  url: string;
  /** How long each `TimedDecision` waits for a decision, in whole seconds (default 1). */
  timeoutSeconds?: number;
  /** Injected client (tests); built from `url` otherwise. */
  client?: AthenaClient;
}

/** What the service says about the next step; `undefined` fields mean "no decision: EPU's default". */
export interface StepDecisions {
  order?: number[];
  /** Children explicitly deselected (`…Selection` verdict false). */
  excluded: Set<number>;
}

export class DecisionService {
  private readonly client: AthenaClient;
  private readonly timeoutSeconds: number;
  private sessionId = '';
  /** Queries asked, how many got a decision, and calls that failed because the service was unreachable. */
  asked = 0;
  answered = 0;
  unavailable = 0;
  /** Selections read again while collecting a square (`deselectedNow`). */
  rechecks = 0;

  constructor(opts: DecisionServiceOptions) {
    this.client = opts.client ?? new AthenaClient({ baseUrl: opts.url, retries: 2, backoff: { baseMs: 200, maxMs: 1000 } });
    this.timeoutSeconds = opts.timeoutSeconds ?? 1;
    if (!Number.isInteger(this.timeoutSeconds) || this.timeoutSeconds < 0) {
      throw new Error(`--decision-timeout must be a whole number of seconds ≥ 0, got ${opts.timeoutSeconds}`);
    }
  }

  /** The EPU session (found by name or registered), its atlas and its selected squares. */
  async openGrid(grid: Grid): Promise<void> {
    const session = await this.tolerant(() => this.client.findOrRegisterSession({ sessionName: grid.sessionName }));
    if (!session) return;
    if (!session.sessionId) throw new Error(`Decision Service: session ${grid.sessionName} has no sessionId`);
    this.sessionId = session.sessionId;
    const areas: Area[] = [{ id: grid.atlasId, sessionId: this.sessionId, areaType: 'atlas', parentId: null }];
    for (const sq of grid.squares)
      if (sq.collected) areas.push({ id: sq.id, sessionId: this.sessionId, areaType: 'gridsquare', parentId: grid.atlasId });
    await this.tolerant(() => this.client.upsertAreas(areas));
  }

  /** Before choosing the next square: the atlas's `acquisitionOrder` and `gridSquareSelection`. */
  async squareStep(grid: Grid): Promise<StepDecisions> {
    const [order, selection] = await Promise.all([
      this.ask(grid.atlasId, 'acquisitionOrder'),
      this.ask(grid.atlasId, 'gridSquareSelection'),
    ]);
    return {
      ...(order === undefined ? {} : { order: decodeAcquisitionOrder(order) }),
      excluded: excludedBy(selection, 'gridSquareSelection'),
    };
  }

  /** Right before acquiring a square: its `include` (false = skip it). */
  async includes(sq: Square): Promise<boolean> {
    const value = await this.ask(sq.id, 'include');
    return value === undefined || decodeInclude(value);
  }

  /** Once a square's holes are found (registered now): its `foilHoleSelection` and `acquisitionOrder`. */
  async holeStep(sq: Square, holes: readonly Hole[]): Promise<StepDecisions> {
    if (this.sessionId) {
      await this.tolerant(() =>
        this.client.upsertAreas(
          holes.map((h) => ({ id: h.id, sessionId: this.sessionId, areaType: 'foilhole' as const, parentId: sq.id })),
        ),
      );
    }
    const [selection, order] = await Promise.all([this.ask(sq.id, 'foilHoleSelection'), this.ask(sq.id, 'acquisitionOrder')]);
    return {
      ...(order === undefined ? {} : { order: decodeAcquisitionOrder(order) }),
      excluded: excludedBy(selection, 'foilHoleSelection'),
    };
  }

  /**
   * While collecting a square's holes: the holes its latest `foilHoleSelection` deselects now (`LatestDecision`, no
   * wait). Counted apart from the queries above (`rechecks`), which each stand for a step of EPU's.
   */
  async deselectedNow(sq: Square): Promise<Set<number>> {
    this.rechecks++;
    if (!this.sessionId) return new Set();
    const sessionId = this.sessionId;
    const record = await this.tolerant(() => this.client.latestDecision(sessionId, { areaId: sq.id, decisionType: 'foilHoleSelection' }));
    return excludedBy(record?.decisionValue ?? undefined, 'foilHoleSelection');
  }

  private async ask(areaId: number, decisionType: DecisionType): Promise<string | undefined> {
    this.asked++;
    if (!this.sessionId) {
      this.unavailable++;
      return undefined;
    }
    const record = await this.tolerant(() =>
      this.client.timedDecision(this.sessionId, { areaId, decisionType, timeoutSeconds: this.timeoutSeconds }),
    );
    if (record === undefined) return undefined;
    this.answered++;
    return record.decisionValue ?? undefined;
  }

  /** The call's result, or undefined when the service could not be reached (other errors propagate). */
  private async tolerant<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AthenaUnavailableError)) throw error;
      this.unavailable++;
      return undefined;
    }
  }
}

function excludedBy(value: string | undefined, type: 'foilHoleSelection' | 'gridSquareSelection'): Set<number> {
  if (value === undefined) return new Set();
  return new Set(
    decodeSelection(value, type)
      .filter((v) => !v.include)
      .map((v) => v.areaId),
  );
}

/**
 * `items` (in EPU's default order) as the decisions say: those named in `order` first, in that order, then the rest
 * in default order; excluded ones left out.
 */
export function applyDecisions<T extends { id: number }>(items: readonly T[], d: StepDecisions): T[] {
  const byId = new Map(items.map((it) => [it.id, it]));
  const first = (d.order ?? []).map((id) => byId.get(id)).filter((it): it is T => it !== undefined);
  const named = new Set(first);
  return [...first, ...items.filter((it) => !named.has(it))].filter((it) => !d.excluded.has(it.id));
}
