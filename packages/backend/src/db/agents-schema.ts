/**
 * The backend → agent instruction channel: the agents' sessions (one per agent and acquisition it serves), their
 * live connections, the instructions sent to them and every acknowledgement. Instructions are durable rows: a
 * reconnecting agent gets every one it has not acknowledged again.
 */
import { bigserial, index, integer, jsonb, pgTable, timestamp, varchar } from 'drizzle-orm/pg-core';
import { acquisition } from './schema.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const cascade = { onDelete: 'cascade' } as const;

export const agentsession = pgTable(
  'agentsession',
  {
    session_id: varchar('session_id').primaryKey(),
    agent_id: varchar('agent_id').notNull(),
    acquisition_uuid: varchar('acquisition_uuid').references(() => acquisition.uuid, cascade),
    /** How the agent applies instructions: observe (log only), confirm (after an operator's approval), auto. */
    mode: varchar('mode').notNull(),
    status: varchar('status').notNull().default('active'),
    description: varchar('description'),
    created_at: ts('created_at').notNull().defaultNow(),
    last_activity_at: ts('last_activity_at').notNull().defaultNow(),
    /** The agent's intake backlog as of its last heartbeat that reported one. */
    intake_pending: integer('intake_pending'),
    intake_orphans: integer('intake_orphans'),
    intake_failed: integer('intake_failed'),
  },
  (t) => [index('idx_agentsession_agent').on(t.agent_id), index('idx_agentsession_acquisition').on(t.acquisition_uuid)],
);

export const agentconnection = pgTable(
  'agentconnection',
  {
    connection_id: varchar('connection_id').primaryKey(),
    session_id: varchar('session_id')
      .notNull()
      .references(() => agentsession.session_id, cascade),
    agent_id: varchar('agent_id').notNull(),
    /** Which API process holds the stream (host:pid). */
    replica: varchar('replica').notNull(),
    connected_at: ts('connected_at').notNull().defaultNow(),
    last_heartbeat_at: ts('last_heartbeat_at').notNull().defaultNow(),
    closed_at: ts('closed_at'),
    close_reason: varchar('close_reason'),
  },
  (t) => [index('idx_agentconnection_session').on(t.session_id)],
);

export const agentinstruction = pgTable(
  'agentinstruction',
  {
    instruction_id: varchar('instruction_id').primaryKey(),
    session_id: varchar('session_id')
      .notNull()
      .references(() => agentsession.session_id, cascade),
    agent_id: varchar('agent_id').notNull(),
    sequence_number: bigserial('sequence_number', { mode: 'number' }).notNull(),
    instruction_type: varchar('instruction_type').notNull(),
    /** What the instruction is about (e.g. `squares:<grid>`, `holes:<square>`): a newer one supersedes an older one. */
    topic: varchar('topic'),
    payload: jsonb('payload').notNull(),
    priority: integer('priority').notNull().default(0),
    /** awaiting_approval | pending | sent | received | processed | failed | declined | expired | superseded */
    status: varchar('status').notNull(),
    created_at: ts('created_at').notNull().defaultNow(),
    sent_at: ts('sent_at'),
    expires_at: ts('expires_at').notNull(),
    retries: integer('retries').notNull().default(0),
    max_retries: integer('max_retries').notNull().default(3),
    acknowledged_at: ts('acknowledged_at'),
    result: jsonb('result'),
    error_message: varchar('error_message'),
    processing_time_ms: integer('processing_time_ms'),
  },
  (t) => [
    index('idx_agentinstruction_session_status').on(t.session_id, t.status),
    index('idx_agentinstruction_topic').on(t.session_id, t.topic),
  ],
);

export const agentinstructionack = pgTable(
  'agentinstructionack',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    instruction_id: varchar('instruction_id')
      .notNull()
      .references(() => agentinstruction.instruction_id, cascade),
    status: varchar('status').notNull(),
    result: jsonb('result'),
    error_message: varchar('error_message'),
    processing_time_ms: integer('processing_time_ms'),
    metadata: jsonb('metadata'),
    created_at: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('idx_agentinstructionack_instruction').on(t.instruction_id)],
);
