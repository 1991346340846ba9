/**
 * The agent's side of the backend's instruction channel, running beside file intake (nothing here waits on it or
 * slows it): once the acquisition is synced, register the agent session, keep the Server-Sent Events stream of
 * instructions open (reconnecting with backoff and `Last-Event-ID`), post heartbeats, and apply instructions one at a
 * time in the order they arrive — logged only in `observe` mode, sent to the Athena Decision Service in `confirm` and
 * `auto` (the backend holds confirm-mode instructions until an operator approves them).
 *
 * Exactly once: an instruction is acknowledged `received` on arrival; its outcome is written to the instruction log
 * (fsync'd) before it is acknowledged `processed`/`failed`, so one delivered again is acknowledged again, not
 * re-applied. An instruction interrupted mid-way (kill, outage) is applied again after redelivery with the same
 * decision ids, so Athena keeps one copy. While Athena is away the instruction stays unfinished and is retried with
 * backoff; later ones wait behind it.
 */
import { hostname } from 'node:os';
import { ApiError, backoffDelay, connectSse, sleep, type SmartEmClient, type SseEvent, type TokenSource } from '@smartem/client';
import type { AgentHeartbeat, AgentMode, InstructionMessage, Logger } from '@smartem/common';
import { AthenaRequestError, areaIdFromEpu, type AthenaClient } from '@smartem/athena';
import { InstructionPayloadError, planDecisions, type DecisionPlan } from './athena-decisions.ts';
import { keys } from './entities.ts';
import type { AckBody, FinalAck, InstructionLog } from './instruction-log.ts';
import type { Entity, EntityStore } from './store.ts';

export interface InstructionChannelOptions {
  client: SmartEmClient;
  /** Bearer tokens for the stream (the client uses the same ones for its requests). */
  auth?: TokenSource;
  token?: string;
  store: EntityStore;
  log: Logger;
  instructionLog: InstructionLog;
  mode: AgentMode;
  /** Required in confirm and auto mode. */
  athena?: AthenaClient;
  /** Default: the computer name. */
  agentId?: string;
  /** A description of the session for the operator (the watched directory). */
  description?: string;
  heartbeatMs?: number;
  /** The intake backlog sent with each heartbeat (shown on the operator dashboard). */
  backlog?: () => AgentHeartbeat;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface InstructionStats {
  sessionId: string | null;
  connected: boolean;
  received: number;
  processed: number;
  failed: number;
  /** Redeliveries of finished instructions, acknowledged again. */
  reacknowledged: number;
  /** Skipped because a newer instruction on the same topic was already waiting. */
  superseded: number;
}

export interface InstructionChannel {
  readonly agentId: string;
  readonly stats: InstructionStats;
  stop(): Promise<void>;
}

/** The agent session of a watched directory: its acquisition's uuid, which the journal keeps across restarts. */
export function sessionIdFor(acquisitionUuid: string): string {
  return `acquisition-${acquisitionUuid}`;
}

type GridEntity = Extract<Entity, { kind: 'grid' }>;

function gridOf(store: EntityStore, gridUuid: unknown): GridEntity | undefined {
  for (const e of store.entities.values()) if (e.kind === 'grid' && e.uuid === gridUuid) return e;
  return undefined;
}

/**
 * The Athena area id of a grid's atlas: the id in its `Atlas.dm`, the one EPU (and the simulator standing in for it)
 * registers; undefined while the atlas is not read or its id is not an area id.
 */
export function atlasAreaOf(store: EntityStore, grid: GridEntity): number | undefined {
  for (const e of store.entities.values()) {
    if (e.kind !== 'atlas' || !e.parents.includes(grid.key)) continue;
    const id = e.fields.atlas_id;
    if (id === undefined || id === null) return undefined;
    try {
      return areaIdFromEpu(String(id));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function defaultAgentId(): string {
  return hostname() || 'smartem-agent';
}

export function startInstructionChannel(opts: InstructionChannelOptions): InstructionChannel {
  const { client, store, log, instructionLog, mode } = opts;
  if (mode !== 'observe' && !opts.athena) throw new Error(`${mode} mode needs an Athena Decision Service URL`);
  const agentId = opts.agentId ?? defaultAgentId();
  const stats: InstructionStats = {
    sessionId: null,
    connected: false,
    received: 0,
    processed: 0,
    failed: 0,
    reacknowledged: 0,
    superseded: 0,
  };
  const stopping = new AbortController();
  const signal = stopping.signal;
  const backoff = (attempt: number) => backoffDelay(attempt, { baseMs: opts.backoffBaseMs ?? 250, maxMs: opts.backoffMaxMs ?? 15_000 });
  const pause = (ms: number) => sleep(ms, signal).catch(() => {});

  /** Waiting to be applied, in arrival order, and the ids of those plus the one being applied. */
  const queue: { message: InstructionMessage; arrived: number }[] = [];
  const inHand = new Set<string>();
  let wakeWorker = () => {};
  let heartbeat: NodeJS.Timeout | undefined;

  const sessionPath = () => `agent/${encodeURIComponent(agentId)}/session/${encodeURIComponent(stats.sessionId!)}`;

  async function waitForAcquisition(): Promise<string | undefined> {
    for (;;) {
      const acquisition = store.get(keys.acquisition());
      if (acquisition && acquisition.acked > 0) return acquisition.uuid;
      if (signal.aborted) return undefined;
      await pause(500);
    }
  }

  async function register(acquisitionUuid: string): Promise<boolean> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await client.http.request('PUT', sessionPath(), {
          body: { acquisition_uuid: acquisitionUuid, mode, ...(opts.description ? { description: opts.description.slice(0, 1000) } : {}) },
          retries: 0,
          signal,
        });
        log.info({ agentId, sessionId: stats.sessionId, mode }, 'agent session registered');
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        if (error instanceof ApiError && error.status === 409) {
          log.error(
            { agentId, sessionId: stats.sessionId, err: error.message },
            'the backend gives this session to another agent; no instructions will be applied',
          );
          return false;
        }
        const delay = backoff(attempt);
        log.warn({ err: (error as Error).message, retryInMs: delay }, 'agent session registration failed; retrying');
        await pause(delay);
      }
    }
    return false;
  }

  async function headers(): Promise<Record<string, string>> {
    const bearer = opts.auth ? await opts.auth.token(signal) : opts.token;
    return bearer ? { Authorization: `Bearer ${bearer}` } : {};
  }

  async function stream(acquisitionUuid: string): Promise<void> {
    let lastEventId: string | undefined;
    for (let attempt = 0; !signal.aborted; ) {
      try {
        const events = await connectSse({
          url: `${client.baseUrl}/${sessionPath()}/instructions/stream`,
          headers: await headers(),
          lastEventId,
          signal,
        });
        for await (const event of events) {
          attempt = 0;
          if (event.id) lastEventId = event.id;
          onEvent(event);
        }
        log.warn('instruction stream ended; reconnecting');
      } catch (error) {
        if (signal.aborted) return;
        // The backend lost our session (e.g. its database was reset): register again.
        if (error instanceof ApiError && error.status === 404 && !(await register(acquisitionUuid))) return;
        log.warn({ err: (error as Error).message }, 'instruction stream unavailable; reconnecting');
      } finally {
        stats.connected = false;
      }
      await pause(backoff(attempt++));
    }
  }

  function onEvent(event: SseEvent): void {
    if (event.event === 'connection') {
      stats.connected = true;
      log.info({ sessionId: stats.sessionId }, 'instruction stream connected');
      return;
    }
    if (event.event !== 'instruction') return;
    let message: InstructionMessage;
    try {
      message = JSON.parse(event.data) as InstructionMessage;
    } catch {
      log.error({ data: event.data.slice(0, 200) }, 'instruction event is not JSON; ignored');
      return;
    }
    const id = message.instruction_id;
    const finished = instructionLog.finished(id);
    if (finished) {
      // Finished before; the backend did not hear of it.
      stats.reacknowledged++;
      log.info({ instructionId: id, status: finished.status }, 'instruction delivered again; acknowledging its outcome again');
      void acknowledge(id, finished);
      return;
    }
    if (inHand.has(id)) return;
    inHand.add(id);
    stats.received++;
    queue.push({ message, arrived: Date.now() });
    log.info({ instructionId: id, type: message.instruction_type }, 'instruction received');
    void acknowledge(id, { status: 'received' });
    wakeWorker();
  }

  /** Sends an acknowledgement, retrying while the backend is away (a redelivery re-acknowledges it anyway). */
  async function acknowledge(instructionId: string, ack: AckBody): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await client.http.request('POST', `${sessionPath()}/instructions/${encodeURIComponent(instructionId)}/ack`, {
          body: ack,
          retries: 0,
          signal,
        });
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status < 500 && error.status !== 408 && error.status !== 429) {
          log.warn({ instructionId, status: ack.status, err: error.message }, 'acknowledgement refused');
          return;
        }
        await pause(backoff(attempt));
      }
    }
  }

  /** Applies one instruction; throws only for transient failures (Athena away), which are retried. */
  async function apply(message: InstructionMessage): Promise<Pick<FinalAck, 'status' | 'result' | 'error_message'>> {
    const grid = gridOf(store, (message.payload as { grid_uuid?: unknown }).grid_uuid);
    let plan: DecisionPlan;
    try {
      plan = planDecisions(message, `smartem-agent ${agentId}`, grid ? atlasAreaOf(store, grid) : undefined);
    } catch (error) {
      if (error instanceof InstructionPayloadError) return { status: 'failed', error_message: error.message };
      throw error;
    }
    if (mode === 'observe') {
      log.info(
        { instructionId: message.instruction_id, areas: plan.areas, decisions: plan.decisions },
        'observe mode: would send these decisions to Athena',
      );
      return { status: 'processed', result: { observed: true, decisions: plan.decisions } };
    }
    const sessionName = grid?.fields.name;
    if (typeof sessionName !== 'string') return { status: 'failed', error_message: `grid ${plan.gridUuid} is not one this agent watches` };
    const athena = opts.athena!;
    try {
      const session = await athena.findOrRegisterSession({ sessionName }, { signal });
      const sessionId = session.sessionId!;
      await athena.upsertAreas(
        plan.areas.map((a) => ({ ...a, sessionId })),
        { signal },
      );
      await athena.postDecisions(
        plan.decisions.map((d) => ({ ...d, sessionId })),
        { signal },
      );
      log.info(
        { instructionId: message.instruction_id, athenaSession: sessionId, decisions: plan.decisions.length },
        'decisions sent to Athena',
      );
      return { status: 'processed', result: { athena_session_id: sessionId, decision_ids: plan.decisions.map((d) => d.id) } };
    } catch (error) {
      if (error instanceof AthenaRequestError) return { status: 'failed', error_message: error.message };
      throw error;
    }
  }

  async function work(): Promise<void> {
    while (!signal.aborted) {
      const next = queue[0];
      if (!next) {
        await new Promise<void>((resolve) => {
          wakeWorker = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      const id = next.message.instruction_id;
      // A newer recommendation on the same topic is already waiting (the backend has superseded this one): applying
      // this one would only delay that one.
      const topic = next.message.metadata?.topic;
      if (topic && queue.some((q, i) => i > 0 && q.message.metadata?.topic === topic)) {
        queue.shift();
        inHand.delete(id);
        stats.superseded++;
        log.debug({ instructionId: id, topic }, 'instruction superseded by a newer one waiting; skipped');
        continue;
      }
      let outcome: Awaited<ReturnType<typeof apply>> | undefined;
      for (let attempt = 0; !signal.aborted && !outcome; attempt++) {
        try {
          outcome = await apply(next.message);
        } catch (error) {
          if (signal.aborted) break;
          const delay = backoff(attempt);
          log.warn(
            { instructionId: id, err: (error as Error).message, retryInMs: delay },
            'Athena unavailable; the instruction waits and is retried',
          );
          await pause(delay);
        }
      }
      if (!outcome) return;
      const ack: FinalAck = { ...outcome, processing_time_ms: Date.now() - next.arrived };
      let recorded = true;
      try {
        await instructionLog.finish(id, ack);
      } catch (error) {
        // Not recorded: not acknowledged either, so a redelivery applies it again (same decision ids).
        recorded = false;
        log.error({ instructionId: id, err: (error as Error).message }, 'instruction log write failed; the outcome is not acknowledged');
      }
      queue.shift();
      inHand.delete(id);
      if (ack.status === 'processed') stats.processed++;
      else {
        stats.failed++;
        log.error({ instructionId: id, err: ack.error_message }, 'instruction failed');
      }
      if (recorded) void acknowledge(id, ack);
    }
  }

  const running = (async () => {
    const acquisitionUuid = await waitForAcquisition();
    if (!acquisitionUuid) return;
    stats.sessionId = sessionIdFor(acquisitionUuid);
    if (!(await register(acquisitionUuid))) return;
    // In the promise, so a backlog not readable yet (the watcher still starting) fails this beat, not the channel.
    const beat = () =>
      Promise.resolve()
        .then(() => client.http.request('POST', `${sessionPath()}/heartbeat`, { body: opts.backlog?.(), retries: 0, signal }))
        .catch((error: unknown) => {
          if (!signal.aborted) log.debug({ err: (error as Error).message }, 'heartbeat failed');
        });
    // The first one at once, so the dashboard shows the backlog without waiting an interval.
    void beat();
    heartbeat = setInterval(beat, opts.heartbeatMs ?? 30_000);
    heartbeat.unref();
    await Promise.all([stream(acquisitionUuid), work()]);
  })().catch((error: unknown) => log.error({ err: String(error) }, 'instruction channel stopped'));

  return {
    agentId,
    stats,
    async stop() {
      stopping.abort();
      clearInterval(heartbeat);
      await running;
      await instructionLog.close();
    },
  };
}
