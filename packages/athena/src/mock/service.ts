/**
 * The stand-in Decision Service's behaviour, in memory: sessions, the area tree, area state history and decisions,
 * including `TimedDecision` waits that a newly posted decision answers at once. Each operation takes the validated
 * parameters and body and returns a status and body; the HTTP layer (`server.ts`) checks both against the document.
 */
import { randomUUID } from 'node:crypto';
import type { Area, AreaState, AreaType, DecisionRecord, ProblemDetails, Session } from '../schemas.ts';
import { API_PREFIX } from '../openapi.ts';

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Reply {
  status: number;
  body?: unknown;
}

export type Params = Record<string, unknown>;
type Operation = (params: Params, body: unknown) => Reply | Promise<Reply>;

const TITLES: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error' };

export function problem(status: number, detail: string): Reply {
  const body: ProblemDetails = { type: 'about:blank', title: TITLES[status] ?? `HTTP ${status}`, status, detail };
  return { status, body };
}

interface SessionData {
  session: Session;
  areas: Map<number, Area>;
  states: AreaState[];
  decisions: DecisionRecord[];
}

interface DecisionQuery {
  areaId: number;
  decisionType?: string;
  pluginType?: string;
}

interface Waiter {
  sessionId: string;
  query: DecisionQuery;
  resolve: (record: DecisionRecord | undefined) => void;
}

function matches(record: DecisionRecord, q: DecisionQuery): boolean {
  return (
    record.areaId === q.areaId &&
    (q.decisionType === undefined || record.decisionType === q.decisionType) &&
    (q.pluginType === undefined || record.pluginType === q.pluginType)
  );
}

export class AthenaService {
  private readonly sessions = new Map<string, SessionData>();
  private readonly waiters = new Set<Waiter>();
  private nextStateId = 1;

  /** Operation handlers keyed `METHOD /api/v1/template`, the template as the document writes it. */
  readonly operations: Record<string, Operation> = {
    'POST /Session': (_p, body) => this.registerSession(body as Session),
    'GET /Session': (p) => {
      const name = p.sessionName as string | null | undefined;
      if (!name) return problem(400, 'query parameter sessionName is required and must not be empty');
      const found = [...this.sessions.values()].find((s) => s.session.sessionName === name);
      return found ? { status: 200, body: found.session } : problem(404, `no session named ${JSON.stringify(name)}`);
    },
    'GET /Session/{id}': (p) => this.withSession(p.id, (s) => ({ status: 200, body: s.session })),
    'GET /Sessions': () => ({ status: 200, body: [...this.sessions.values()].map((s) => s.session) }),

    'POST /Area': (_p, body) => {
      const reply = this.registerAreas([body as Area], false);
      return reply.status === 201 ? { status: 201, body: (reply.body as Area[])[0] } : reply;
    },
    'PUT /Area': (_p, body) => this.registerAreas([body as Area], true),
    'POST /Areas': (_p, body) =>
      body === null ? problem(400, 'body must be an array of areas') : this.registerAreas(body as Area[], false),
    'PUT /Areas': (_p, body) => {
      if (body === null) return problem(400, 'body must be an array of areas');
      const reply = this.registerAreas(body as Area[], true);
      return reply.status === 201 ? { status: 204 } : reply;
    },
    'GET /Session/{sessionId}/Area/{areaId}': (p) => this.withArea(p.sessionId, p.areaId, (_s, area) => ({ status: 200, body: area })),
    'GET /Session/{sessionId}/Areas': (p) =>
      this.withSession(p.sessionId, (s) => ({
        status: 200,
        body: this.filterAreas(s, p.areaType as AreaType | undefined, p.parentAreaId),
      })),
    'GET /Session/{sessionId}/Area/{parentAreaId}/Areas': (p) =>
      this.withArea(p.sessionId, p.parentAreaId, (s, parent) => ({ status: 200, body: this.filterAreas(s, undefined, parent.id) })),

    'POST /AreaState': (_p, body) => {
      const reply = this.recordStates([body as AreaState]);
      return reply.status === 201 ? { status: 201, body: (reply.body as AreaState[])[0] } : reply;
    },
    'POST /AreaStates': (_p, body) =>
      body === null ? problem(400, 'body must be an array of area states') : this.recordStates(body as AreaState[]),
    'GET /Session/{sessionId}/Area/{areaId}/LatestAreaState': (p) =>
      this.withArea(p.sessionId, p.areaId, (s, area) => {
        const latest = s.states.findLast((st) => st.areaId === area.id);
        return latest ? { status: 200, body: latest } : problem(404, `area ${area.id} has no state yet`);
      }),
    'GET /Session/{sessionId}/AreaStates': (p) =>
      this.withSession(p.sessionId, (s) => {
        const areaIds = new Set(this.filterAreas(s, p.areaType as AreaType | undefined, p.parentAreaId).map((a) => a.id));
        return { status: 200, body: s.states.filter((st) => areaIds.has(st.areaId)) };
      }),

    'POST /Decision': (_p, body) => {
      const reply = this.recordDecisions([body as DecisionRecord], 404);
      return reply.status === 201 ? { status: 201, body: (reply.body as DecisionRecord[])[0] } : reply;
    },
    'POST /Decisions': (_p, body) => {
      const list = body as DecisionRecord[] | null;
      if (!list || list.length === 0) return problem(400, 'the decision collection is empty');
      return this.recordDecisions(list, 409);
    },
    'GET /Session/{sessionId}/Decision/{decisionId}': (p) =>
      this.withSession(p.sessionId, (s) => {
        const found = s.decisions.find((d) => d.id === p.decisionId);
        return found ? { status: 200, body: found } : problem(404, `no decision ${String(p.decisionId)}`);
      }),
    'GET /Session/{sessionId}/LatestDecision': (p) =>
      this.withDecisionQuery(p, (s, q) => {
        const latest = s.decisions.findLast((d) => matches(d, q));
        return latest ? { status: 200, body: latest } : { status: 204 };
      }),
    'GET /Session/{sessionId}/TimedDecision': (p) => {
      const timeout = (p.timeout as number | undefined) ?? 0;
      if (timeout < 0) return problem(400, 'query parameter timeout must not be negative');
      return this.withDecisionQuery(p, async (s, q) => {
        const latest = s.decisions.findLast((d) => matches(d, q)) ?? (await this.waitForDecision(s.session.sessionId!, q, timeout));
        return latest ? { status: 200, body: latest } : { status: 204 };
      });
    },
    'GET /Session/{sessionId}/Decisions': (p) =>
      this.withSession(p.sessionId, (s) => {
        const areaIds = p.areaIds as number[] | undefined;
        const wanted = areaIds && areaIds.length > 0 ? new Set(areaIds) : undefined;
        const body = s.decisions.filter(
          (d) =>
            (!wanted || wanted.has(d.areaId)) &&
            (p.decisionType === undefined || d.decisionType === p.decisionType) &&
            (p.pluginType === undefined || d.pluginType === p.pluginType),
        );
        return { status: 200, body };
      }),
    'DELETE /Session/{sessionId}/Decisions': (p) =>
      this.withDecisionQuery(p, (s, q) => {
        s.decisions = s.decisions.filter(
          (d) => !(d.areaId === q.areaId && (q.decisionType === undefined || d.decisionType === q.decisionType)),
        );
        return { status: 204 };
      }),
    'DELETE /Session/{sessionId}/AllDecisions': (p) =>
      this.withSession(p.sessionId, (s) => {
        s.decisions = [];
        return { status: 204 };
      }),
  };

  /** The handler for a document path template (with the `/api/v1` prefix) and method, if we implement it. */
  handlerFor(method: string, template: string): Operation | undefined {
    if (!template.toLowerCase().startsWith(API_PREFIX.toLowerCase())) return undefined;
    return this.operations[`${method.toUpperCase()} ${template.slice(API_PREFIX.length)}`];
  }

  /** How many TimedDecision requests are waiting for a decision. */
  get waitingTimedDecisions(): number {
    return this.waiters.size;
  }

  /** Answers every waiting TimedDecision with "none" (used when the server closes). */
  releaseWaiters(): void {
    for (const waiter of this.waiters) waiter.resolve(undefined);
    this.waiters.clear();
  }

  private registerSession(body: Session): Reply {
    const name = body.sessionName;
    if (!name?.trim()) return problem(400, 'body.sessionName is mandatory and must not be empty');
    const sessionId = body.sessionId ?? randomUUID();
    if (this.sessions.has(sessionId)) return problem(409, `session ${sessionId} is already registered`);
    if ([...this.sessions.values()].some((s) => s.session.sessionName === name)) {
      return problem(409, `a session named ${JSON.stringify(name)} is already registered`);
    }
    const session: Session = { ...body, sessionId, sessionName: name, timestamp: body.timestamp ?? new Date().toISOString() };
    this.sessions.set(sessionId, { session, areas: new Map(), states: [], decisions: [] });
    return { status: 201, body: session };
  }

  /** Registers areas all-or-nothing; with `upsert` existing ones are replaced instead of being a conflict. */
  private registerAreas(areas: Area[], upsert: boolean): Reply {
    const seen = new Set<string>();
    for (const [i, area] of areas.entries()) {
      // The published document requires no field; these are the service's documented 400s.
      if (!area.sessionId) return problem(400, `body[${i}].sessionId is not filled in`);
      if (typeof area.id !== 'number') return problem(400, `body[${i}].id is not filled in`);
      const s = this.sessions.get(area.sessionId);
      if (!s) return problem(404, `body[${i}].sessionId: session ${area.sessionId} is not registered`);
      if (area.id < 0) return problem(400, `body[${i}].id ${area.id} is not a legal area id`);
      const key = `${area.sessionId}/${area.id}`;
      if (!upsert && (s.areas.has(area.id) || seen.has(key))) {
        return problem(409, `body[${i}]: area ${area.id} is already registered in session ${area.sessionId}`);
      }
      seen.add(key);
    }
    const stored = areas.map((area) => {
      const copy: Area = { ...area };
      this.sessions.get(area.sessionId)!.areas.set(area.id, copy);
      return copy;
    });
    return { status: 201, body: stored };
  }

  private recordStates(changes: AreaState[]): Reply {
    for (const [i, change] of changes.entries()) {
      const s = this.sessions.get(change.sessionId);
      if (!s) return problem(404, `body[${i}].sessionId: session ${change.sessionId} is not registered`);
      if (!s.areas.has(change.areaId)) return problem(404, `body[${i}].areaId: area ${change.areaId} is not registered`);
    }
    const records = changes.map((change) => {
      const record: AreaState = {
        id: this.nextStateId++,
        sessionId: change.sessionId,
        areaId: change.areaId,
        state: change.state,
        timestamp: new Date().toISOString(),
      };
      this.sessions.get(change.sessionId)!.states.push(record);
      return record;
    });
    return { status: 201, body: records };
  }

  /** Stores decisions all-or-nothing; a decision re-sent with the same id replaces the earlier one (a retried post). */
  private recordDecisions(decisions: DecisionRecord[], unknownStatus: 404 | 409): Reply {
    for (const [i, d] of decisions.entries()) {
      const s = this.sessions.get(d.sessionId);
      if (!s) return problem(unknownStatus, `body[${i}].sessionId: session ${d.sessionId} is not registered`);
      if (!s.areas.has(d.areaId))
        return problem(unknownStatus, `body[${i}].areaId: area ${d.areaId} is not registered in session ${d.sessionId}`);
    }
    const stored = decisions.map((d) => {
      const record: DecisionRecord = {
        ...d,
        id: d.id ?? randomUUID(),
        pluginType: d.pluginType ?? 'default',
        timestamp: d.timestamp ?? new Date().toISOString(),
      };
      const s = this.sessions.get(d.sessionId)!;
      s.decisions = s.decisions.filter((existing) => existing.id !== record.id);
      s.decisions.push(record);
      for (const waiter of this.waiters) {
        if (waiter.sessionId === record.sessionId && matches(record, waiter.query)) {
          this.waiters.delete(waiter);
          waiter.resolve(record);
        }
      }
      return record;
    });
    return { status: 201, body: stored };
  }

  private waitForDecision(sessionId: string, query: DecisionQuery, timeoutSeconds: number): Promise<DecisionRecord | undefined> {
    if (timeoutSeconds === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        sessionId,
        query,
        resolve: (record) => {
          clearTimeout(timer);
          resolve(record);
        },
      };
      const timer = setTimeout(
        () => {
          this.waiters.delete(waiter);
          resolve(undefined);
        },
        Math.min(timeoutSeconds * 1000, MAX_TIMER_MS),
      );
      this.waiters.add(waiter);
    });
  }

  private filterAreas(s: SessionData, areaType: AreaType | undefined, parentAreaId: unknown): Area[] {
    return [...s.areas.values()].filter(
      (a) => (areaType === undefined || a.areaType === areaType) && (parentAreaId == null || a.parentId === parentAreaId),
    );
  }

  private withSession(sessionId: unknown, then: (s: SessionData) => Reply | Promise<Reply>): Reply | Promise<Reply> {
    const s = this.sessions.get(sessionId as string);
    return s ? then(s) : problem(404, `session ${String(sessionId)} is not registered`);
  }

  private withArea(sessionId: unknown, areaId: unknown, then: (s: SessionData, area: Area) => Reply): Reply | Promise<Reply> {
    return this.withSession(sessionId, (s) => {
      const area = s.areas.get(areaId as number);
      return area ? then(s, area) : problem(404, `area ${String(areaId)} is not registered in session ${String(sessionId)}`);
    });
  }

  /** The session and the (area, type, plugin) filter of a decision query; `areaId` is needed to name an area. */
  private withDecisionQuery(p: Params, then: (s: SessionData, q: DecisionQuery) => Reply | Promise<Reply>): Reply | Promise<Reply> {
    if (p.areaId === undefined) return problem(400, 'query parameter areaId is required');
    return this.withSession(p.sessionId, (s) => {
      if (!s.areas.has(p.areaId as number))
        return problem(404, `area ${String(p.areaId)} is not registered in session ${String(p.sessionId)}`);
      return then(s, {
        areaId: p.areaId as number,
        decisionType: p.decisionType as string | undefined,
        pluginType: p.pluginType as string | undefined,
      });
    });
  }
}
