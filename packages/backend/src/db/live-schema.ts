/**
 * The dashboard's change log: a copy of every outbox event, kept for a while after the relay has published and
 * deleted the outbox row, so `GET /events/stream` can send it and resume a reconnected stream from its
 * `Last-Event-ID`. A trigger on `outbox` fills it (migration 0008), one on `agentinstruction` adds each instruction
 * written or changing status (`instruction.created` / `.updated`, migration 0009), and both notify `smartem_live`, so
 * every writer — the API, the worker, a replica — feeds it without knowing it exists.
 *
 * `tx` is the writing transaction's id. Rows are read in `(tx, id)` order, and only once every transaction that
 * started before theirs has ended (`tx < pg_snapshot_xmin(pg_current_snapshot())`): a row read later always sorts
 * after every row read before, which ordering by the sequence alone does not give (transactions commit out of order).
 */
import { sql } from 'drizzle-orm';
import { bigserial, customType, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

export const liveEvent = pgTable(
  'live_event',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tx: xid8('tx').notNull().default(sql`pg_current_xact_id()`),
    event_type: text('event_type').notNull(),
    payload: jsonb('payload').notNull(),
    created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('idx_live_event_order').on(t.tx, t.id), index('idx_live_event_created').using('brin', t.created_at)],
);
