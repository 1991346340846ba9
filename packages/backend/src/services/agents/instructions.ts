/**
 * The instruction channel's rules: agent sessions and their registration, instructions written for the sessions of
 * an acquisition (held for an operator's approval when the agent runs in confirm mode), acknowledgements with their
 * allowed transitions, approvals, and the periodic retry/expiry of what an agent never finished.
 */
import { randomUUID } from 'node:crypto';
import type {
  AgentHeartbeat,
  AgentSession,
  AgentSessionRegistration,
  InstructionAck,
  InstructionMessage,
  InstructionRecord,
  InstructionType,
} from '@smartem/common';
import type { Db } from '../../db/index.ts';
import * as repo from '../../repositories/instructions.ts';
import type { InstructionRow, SessionRow } from '../../repositories/instructions.ts';

/** How long a delivered instruction may stay unfinished before it is delivered again (then expired after retries). */
export const INSTRUCTION_WINDOW_MS = 5 * 60_000;
/** A connection without a heartbeat for this long is no longer counted as connected. */
export const CONNECTION_TIMEOUT_MS = 2 * 60_000;

/** A rule broken by a request: the route answers `status` with `detail`. */
export class InstructionError extends Error {
  constructor(
    readonly status: 404 | 409,
    detail: string,
  ) {
    super(detail);
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function sessionWire(s: repo.SessionState, now = Date.now()): AgentSession {
  const row = s.session;
  return {
    agent_id: row.agent_id,
    session_id: row.session_id,
    acquisition_uuid: row.acquisition_uuid,
    mode: row.mode as AgentSession['mode'],
    status: row.status,
    description: row.description,
    created_at: row.created_at.toISOString(),
    last_activity_at: row.last_activity_at.toISOString(),
    connected: s.openConnections > 0 && s.lastHeartbeatAt !== null && now - s.lastHeartbeatAt.getTime() < CONNECTION_TIMEOUT_MS,
    last_heartbeat_at: iso(s.lastHeartbeatAt),
    unacknowledged: s.unacknowledged,
    awaiting_approval: s.awaitingApproval,
    intake_pending: row.intake_pending,
    intake_orphans: row.intake_orphans,
    intake_failed: row.intake_failed,
  };
}

export function instructionRecord(r: InstructionRow): InstructionRecord {
  return {
    instruction_id: r.instruction_id,
    agent_id: r.agent_id,
    session_id: r.session_id,
    instruction_type: r.instruction_type,
    topic: r.topic,
    payload: r.payload as Record<string, unknown>,
    sequence_number: r.sequence_number,
    priority: r.priority,
    status: r.status as InstructionRecord['status'],
    created_at: r.created_at.toISOString(),
    sent_at: iso(r.sent_at),
    expires_at: r.expires_at.toISOString(),
    retries: r.retries,
    acknowledged_at: iso(r.acknowledged_at),
    result: (r.result as Record<string, unknown> | null) ?? null,
    error_message: r.error_message,
    processing_time_ms: r.processing_time_ms,
  };
}

export function instructionMessage(r: InstructionRow): InstructionMessage {
  return {
    instruction_id: r.instruction_id,
    agent_id: r.agent_id,
    session_id: r.session_id,
    instruction_type: r.instruction_type,
    payload: r.payload as Record<string, unknown>,
    sequence_number: r.sequence_number,
    priority: r.priority,
    created_at: r.created_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    metadata: { topic: r.topic, retries: r.retries },
  };
}

/** Registers (or re-registers) an agent's session for an acquisition. */
export async function registerSession(
  db: Db,
  agentId: string,
  sessionId: string,
  body: AgentSessionRegistration,
): Promise<{ session: AgentSession; created: boolean }> {
  const existing = await repo.findSession(db, sessionId);
  if (existing && existing.agent_id !== agentId)
    throw new InstructionError(409, `session ${sessionId} belongs to agent ${existing.agent_id}`);
  if (!(await repo.acquisitionExists(db, body.acquisition_uuid))) {
    throw new InstructionError(404, `Acquisition ${body.acquisition_uuid} not found (acquisition_uuid)`);
  }
  const { created } = await repo.upsertSession(db, {
    session_id: sessionId,
    agent_id: agentId,
    acquisition_uuid: body.acquisition_uuid,
    mode: body.mode,
    description: body.description ?? null,
  });
  return { session: (await getSession(db, agentId, sessionId))!, created };
}

export async function getSession(db: Db, agentId: string, sessionId: string): Promise<AgentSession | undefined> {
  const [state] = await repo.listSessionStates(db, { sessionId });
  return state && state.session.agent_id === agentId ? sessionWire(state) : undefined;
}

export async function listSessions(db: Db, agentId?: string): Promise<AgentSession[]> {
  return (await repo.listSessionStates(db, { agentId })).map((s) => sessionWire(s));
}

/** The session, which must belong to the agent (404 otherwise). */
export async function requireSession(db: Db, agentId: string, sessionId: string): Promise<SessionRow> {
  const session = await repo.findSession(db, sessionId);
  if (!session || session.agent_id !== agentId) throw new InstructionError(404, `agent ${agentId} has no session ${sessionId}`);
  return session;
}

export async function heartbeat(db: Db, agentId: string, sessionId: string, backlog?: AgentHeartbeat): Promise<void> {
  await requireSession(db, agentId, sessionId);
  await repo.recordHeartbeat(db, sessionId, undefined, backlog);
}

export interface NewInstruction {
  type: InstructionType;
  topic: string;
  payload: Record<string, unknown>;
  priority?: number;
}

/**
 * Writes instructions for each of `sessions`: pending, or awaiting an operator's approval in confirm mode (unless
 * `approved`: an operator's own instruction).
 */
export async function issueInstructions(
  db: Db,
  sessions: readonly SessionRow[],
  items: readonly NewInstruction[],
  opts: { now?: Date; approved?: boolean } = {},
): Promise<InstructionRow[]> {
  const now = opts.now ?? new Date();
  const rows = sessions.flatMap((s) =>
    items.map((item) => ({
      instruction_id: randomUUID(),
      session_id: s.session_id,
      agent_id: s.agent_id,
      instruction_type: item.type,
      topic: item.topic,
      payload: item.payload,
      priority: item.priority ?? 0,
      status: s.mode === 'confirm' && !opts.approved ? 'awaiting_approval' : 'pending',
      expires_at: new Date(now.getTime() + INSTRUCTION_WINDOW_MS),
    })),
  );
  return repo.insertInstructions(db, rows);
}

const FINAL_ACKS = new Set(['processed', 'failed', 'declined']);

/**
 * An agent's acknowledgement. `received` marks a delivered instruction as arrived; `processed`, `failed` and
 * `declined` finish it. Sending the same final status again is harmless (the agent may retry after a lost answer);
 * another status for a finished instruction is a conflict.
 */
export async function acknowledge(
  db: Db,
  agentId: string,
  sessionId: string,
  instructionId: string,
  ack: InstructionAck,
): Promise<InstructionRecord> {
  await requireSession(db, agentId, sessionId);
  const row = await repo.findInstruction(db, instructionId);
  if (!row || row.session_id !== sessionId)
    throw new InstructionError(404, `instruction ${instructionId} not found in session ${sessionId}`);
  const final = FINAL_ACKS.has(ack.status);
  if ((repo.FINAL as readonly string[]).includes(row.status) || row.status === 'awaiting_approval') {
    if (row.status === ack.status || (!final && FINAL_ACKS.has(row.status))) return instructionRecord(row);
    throw new InstructionError(409, `instruction ${instructionId} is ${row.status}; it cannot become ${ack.status}`);
  }
  const updated = await repo.recordAck(
    db,
    instructionId,
    {
      status: ack.status,
      result: ack.result ?? null,
      error_message: ack.error_message ?? null,
      processing_time_ms: ack.processing_time_ms ?? null,
      metadata: ack.metadata ?? null,
    },
    final,
  );
  return instructionRecord(updated);
}

/** An operator approves or declines an instruction held for approval (confirm mode). */
export async function decide(db: Db, instructionId: string, approve: boolean): Promise<InstructionRecord> {
  const row = await repo.decideApproval(db, instructionId, approve, new Date(Date.now() + INSTRUCTION_WINDOW_MS));
  if (row) return instructionRecord(row);
  const existing = await repo.findInstruction(db, instructionId);
  if (!existing) throw new InstructionError(404, `instruction ${instructionId} not found`);
  throw new InstructionError(409, `instruction ${instructionId} is ${existing.status}, not awaiting approval`);
}

export async function listInstructions(db: Db, agentId: string, sessionId: string, status?: string): Promise<InstructionRecord[]> {
  await requireSession(db, agentId, sessionId);
  return (await repo.listInstructions(db, sessionId, status)).map(instructionRecord);
}

/** Instructions an agent never finished are delivered again, then expired; connections without heartbeat closed. */
export async function sweep(db: Db, now = new Date()): Promise<{ retried: number; expired: number; staleConnections: number }> {
  const { retried, expired } = await repo.retryOrExpire(db, now, INSTRUCTION_WINDOW_MS);
  const staleConnections = await repo.closeStaleConnections(db, new Date(now.getTime() - CONNECTION_TIMEOUT_MS));
  return { retried, expired, staleConnections };
}
