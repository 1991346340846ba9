/**
 * Agent sessions, their stream connections, instructions and acknowledgements (`db/agents-schema.ts`). Every write
 * that makes an instruction deliverable sends `NOTIFY smartem_instructions, '<session_id>'` in its transaction, so an
 * agent connected to any API process hears of it once it is committed.
 */
import type { AgentHeartbeat } from '@smartem/common';
import { and, asc, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { acquisition, agentconnection, agentinstruction, agentinstructionack, agentsession, grid } from '../db/schema.ts';

export const INSTRUCTION_CHANNEL = 'smartem_instructions';

export type SessionRow = typeof agentsession.$inferSelect;
export type InstructionRow = typeof agentinstruction.$inferSelect;
export type NewInstruction = Omit<typeof agentinstruction.$inferInsert, 'sequence_number' | 'created_at'>;

/** Not finished by the agent: delivered again on every new connection. */
export const UNFINISHED = ['pending', 'sent', 'received'] as const;
export const FINAL = ['processed', 'failed', 'declined', 'expired', 'superseded'] as const;

async function notify(tx: Db, sessionIds: Iterable<string>): Promise<void> {
  for (const id of new Set(sessionIds)) await tx.execute(sql`SELECT pg_notify(${INSTRUCTION_CHANNEL}, ${id})`);
}

export async function acquisitionExists(db: Db, uuid: string): Promise<boolean> {
  return (await db.select({ uuid: acquisition.uuid }).from(acquisition).where(eq(acquisition.uuid, uuid))).length > 0;
}

export async function findSession(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  return (await db.select().from(agentsession).where(eq(agentsession.session_id, sessionId)))[0];
}

/** Registers the session, or updates its acquisition, mode and description; whether it was new. */
export async function upsertSession(
  db: Db,
  s: { session_id: string; agent_id: string; acquisition_uuid: string; mode: string; description: string | null },
): Promise<{ row: SessionRow; created: boolean }> {
  const existed = (await findSession(db, s.session_id)) !== undefined;
  const rows = await db
    .insert(agentsession)
    .values({ ...s, status: 'active' })
    .onConflictDoUpdate({
      target: agentsession.session_id,
      set: {
        acquisition_uuid: s.acquisition_uuid,
        mode: s.mode,
        description: s.description,
        status: 'active',
        last_activity_at: new Date(),
      },
    })
    .returning();
  return { row: rows[0]!, created: !existed };
}

export interface SessionState {
  session: SessionRow;
  lastHeartbeatAt: Date | null;
  openConnections: number;
  unacknowledged: number;
  awaitingApproval: number;
}

/** Sessions with their connection and instruction counts, most recently active first. */
export async function listSessionStates(db: Db, where: { sessionId?: string; agentId?: string } = {}): Promise<SessionState[]> {
  const conditions = [
    where.sessionId ? eq(agentsession.session_id, where.sessionId) : undefined,
    where.agentId ? eq(agentsession.agent_id, where.agentId) : undefined,
  ];
  const rows = await db
    .select({
      session: agentsession,
      lastHeartbeatAt: sql<
        string | null
      >`(SELECT max(c.last_heartbeat_at) FROM ${agentconnection} c WHERE c.session_id = ${agentsession.session_id} AND c.closed_at IS NULL)`,
      openConnections: sql<number>`(SELECT count(*)::int FROM ${agentconnection} c WHERE c.session_id = ${agentsession.session_id} AND c.closed_at IS NULL)`,
      unacknowledged: sql<number>`(SELECT count(*)::int FROM ${agentinstruction} i WHERE i.session_id = ${agentsession.session_id} AND i.status IN ('pending', 'sent', 'received'))`,
      awaitingApproval: sql<number>`(SELECT count(*)::int FROM ${agentinstruction} i WHERE i.session_id = ${agentsession.session_id} AND i.status = 'awaiting_approval')`,
    })
    .from(agentsession)
    .where(and(...conditions))
    .orderBy(desc(agentsession.last_activity_at));
  return rows.map((r) => ({ ...r, lastHeartbeatAt: r.lastHeartbeatAt === null ? null : new Date(r.lastHeartbeatAt) }));
}

export async function openConnection(
  db: Db,
  c: { connection_id: string; session_id: string; agent_id: string; replica: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(agentconnection).values(c);
    await tx.update(agentsession).set({ last_activity_at: new Date() }).where(eq(agentsession.session_id, c.session_id));
  });
}

export async function closeConnection(db: Db, connectionId: string, reason: string): Promise<void> {
  await db
    .update(agentconnection)
    .set({ closed_at: new Date(), close_reason: reason })
    .where(and(eq(agentconnection.connection_id, connectionId), isNull(agentconnection.closed_at)));
}

/** Connections whose process stopped without closing them (no heartbeat since `before`) are closed as stale. */
export async function closeStaleConnections(db: Db, before: Date): Promise<number> {
  const rows = await db
    .update(agentconnection)
    .set({ closed_at: new Date(), close_reason: 'stale' })
    .where(and(isNull(agentconnection.closed_at), lt(agentconnection.last_heartbeat_at, before)))
    .returning({ id: agentconnection.connection_id });
  return rows.length;
}

/** The agent is alive: its session and open connections (or just `connectionId`) record the time. */
export async function recordHeartbeat(db: Db, sessionId: string, connectionId?: string, backlog?: AgentHeartbeat): Promise<void> {
  const now = new Date();
  const intake = backlog ? { intake_pending: backlog.pending, intake_orphans: backlog.orphans, intake_failed: backlog.failed } : {};
  await db.transaction(async (tx) => {
    await tx
      .update(agentsession)
      .set({ last_activity_at: now, ...intake })
      .where(eq(agentsession.session_id, sessionId));
    await tx
      .update(agentconnection)
      .set({ last_heartbeat_at: now })
      .where(
        and(
          eq(agentconnection.session_id, sessionId),
          isNull(agentconnection.closed_at),
          connectionId ? eq(agentconnection.connection_id, connectionId) : undefined,
        ),
      );
  });
}

/** What the agent has not finished, highest priority first, then in the order written. */
export async function unfinishedInstructions(db: Db, sessionId: string): Promise<InstructionRow[]> {
  return db
    .select()
    .from(agentinstruction)
    .where(and(eq(agentinstruction.session_id, sessionId), inArray(agentinstruction.status, [...UNFINISHED])))
    .orderBy(desc(agentinstruction.priority), asc(agentinstruction.sequence_number));
}

export async function listInstructions(db: Db, sessionId: string, status?: string, limit = 500): Promise<InstructionRow[]> {
  return db
    .select()
    .from(agentinstruction)
    .where(and(eq(agentinstruction.session_id, sessionId), status ? eq(agentinstruction.status, status) : undefined))
    .orderBy(desc(agentinstruction.sequence_number))
    .limit(limit);
}

export async function findInstruction(db: Db, instructionId: string): Promise<InstructionRow | undefined> {
  return (await db.select().from(agentinstruction).where(eq(agentinstruction.instruction_id, instructionId)))[0];
}

/** Pending instructions handed to a stream become `sent` (they stay unfinished until acknowledged). */
export async function markSent(db: Db, instructionIds: readonly string[]): Promise<void> {
  if (instructionIds.length === 0) return;
  await db
    .update(agentinstruction)
    .set({ status: 'sent', sent_at: new Date() })
    .where(and(inArray(agentinstruction.instruction_id, [...instructionIds]), eq(agentinstruction.status, 'pending')));
}

/**
 * Writes instructions; an unfinished or waiting instruction of the same session and topic is superseded by the new
 * one (the agent would only act on the newest). Notifies the sessions of deliverable ones.
 */
export async function insertInstructions(db: Db, rows: readonly NewInstruction[]): Promise<InstructionRow[]> {
  if (rows.length === 0) return [];
  return db.transaction(async (tx) => {
    for (const r of rows) {
      if (!r.topic) continue;
      await tx
        .update(agentinstruction)
        .set({ status: 'superseded' })
        .where(
          and(
            eq(agentinstruction.session_id, r.session_id),
            eq(agentinstruction.topic, r.topic),
            inArray(agentinstruction.status, ['awaiting_approval', ...UNFINISHED]),
          ),
        );
    }
    const inserted = await tx
      .insert(agentinstruction)
      .values([...rows])
      .returning();
    await notify(
      tx,
      inserted.filter((r) => r.status === 'pending').map((r) => r.session_id),
    );
    return inserted;
  });
}

/**
 * The newest instruction of a session on each of `topics`, whatever its status (to tell whether a recommendation
 * changed), in one query: topic → row, topics without one absent.
 */
export async function latestOnTopics(db: Db, sessionId: string, topics: readonly string[]): Promise<Map<string, InstructionRow>> {
  if (topics.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([agentinstruction.topic])
    .from(agentinstruction)
    .where(and(eq(agentinstruction.session_id, sessionId), inArray(agentinstruction.topic, [...topics])))
    .orderBy(agentinstruction.topic, desc(agentinstruction.sequence_number));
  return new Map(rows.map((r) => [r.topic!, r]));
}

/** Records an acknowledgement and moves the instruction to its status, in one transaction. */
export async function recordAck(
  db: Db,
  instructionId: string,
  ack: { status: string; result: unknown; error_message: string | null; processing_time_ms: number | null; metadata: unknown },
  final: boolean,
): Promise<InstructionRow> {
  return db.transaction(async (tx) => {
    await tx
      .insert(agentinstructionack)
      .values({ instruction_id: instructionId, ...ack, result: ack.result ?? null, metadata: ack.metadata ?? null });
    const [row] = await tx
      .update(agentinstruction)
      .set(
        final
          ? {
              status: ack.status,
              acknowledged_at: new Date(),
              result: ack.result ?? null,
              error_message: ack.error_message,
              processing_time_ms: ack.processing_time_ms,
            }
          : { status: ack.status },
      )
      .where(eq(agentinstruction.instruction_id, instructionId))
      .returning();
    return row!;
  });
}

/** An operator's decision on an instruction waiting for approval; undefined when it was not waiting. */
export async function decideApproval(
  db: Db,
  instructionId: string,
  approve: boolean,
  expiresAt: Date,
): Promise<InstructionRow | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(agentinstruction)
      .set(
        approve
          ? { status: 'pending', expires_at: expiresAt }
          : { status: 'declined', acknowledged_at: new Date(), error_message: 'declined by an operator' },
      )
      .where(and(eq(agentinstruction.instruction_id, instructionId), eq(agentinstruction.status, 'awaiting_approval')))
      .returning();
    if (row && approve) await notify(tx, [row.session_id]);
    return row;
  });
}

/**
 * Instructions past their expiry: delivered again with a new window while retries remain (status pending, so
 * every connection sends them), else expired. Returns how many of each.
 */
export async function retryOrExpire(db: Db, now: Date, windowMs: number): Promise<{ retried: number; expired: number }> {
  return db.transaction(async (tx) => {
    const due = and(inArray(agentinstruction.status, [...UNFINISHED]), lt(agentinstruction.expires_at, now));
    const retried = await tx
      .update(agentinstruction)
      .set({ status: 'pending', retries: sql`${agentinstruction.retries} + 1`, expires_at: new Date(now.getTime() + windowMs) })
      .where(and(due, lt(agentinstruction.retries, agentinstruction.max_retries)))
      .returning({ session: agentinstruction.session_id });
    const expired = await tx
      .update(agentinstruction)
      .set({ status: 'expired' })
      .where(due)
      .returning({ id: agentinstruction.instruction_id });
    await notify(
      tx,
      retried.map((r) => r.session),
    );
    return { retried: retried.length, expired: expired.length };
  });
}

/** Active sessions serving the acquisition a grid belongs to. */
export async function activeSessionsForGrid(db: Db, gridUuid: string): Promise<SessionRow[]> {
  return db
    .select({ s: agentsession })
    .from(agentsession)
    .innerJoin(grid, eq(grid.acquisition_uuid, agentsession.acquisition_uuid))
    .where(and(eq(grid.uuid, gridUuid), eq(agentsession.status, 'active')))
    .then((rows) => rows.map((r) => r.s));
}
