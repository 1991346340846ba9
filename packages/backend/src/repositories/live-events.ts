/**
 * Reads of the dashboard's change log (`live_event`, filled from the outbox by a trigger): events in `(tx, id)` order
 * after a position, each with the grid and grid square it concerns, and the pruning of old events.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';

/** The channel the outbox trigger notifies (payload empty) in every transaction that writes events. */
export const LIVE_CHANNEL = 'smartem_live';

/** A place in the log: the writing transaction and the row id. As text, `<tx>-<id>`: the SSE event id. */
export interface LivePosition {
  tx: string;
  id: number;
}

export interface LiveEvent {
  position: LivePosition;
  event_type: string;
  payload: Record<string, unknown>;
  /** The grid / grid square the event concerns, null when its payload does not say (a deletion, an atlas tile…). */
  grid_uuid: string | null;
  gridsquare_uuid: string | null;
}

export const formatPosition = (p: LivePosition): string => `${p.tx}-${p.id}`;

/** The position a `formatPosition` wrote, or undefined for anything else. */
export function parsePosition(text: string): LivePosition | undefined {
  const m = /^(\d{1,20})-(\d{1,18})$/.exec(text);
  return m ? { tx: m[1]!, id: Number(m[2]) } : undefined;
}

/** Only events every earlier transaction is finished behind: none can later appear before them. */
const SETTLED = sql`e.tx < pg_snapshot_xmin(pg_current_snapshot())`;
const after = (p: LivePosition | null) => (p ? sql`AND (e.tx, e.id) > (${p.tx}::xid8, ${p.id}::bigint)` : sql``);
const ofKind = (kind: string, row = 'e') =>
  sql`CASE WHEN split_part(${sql.raw(row)}.event_type, '.', 1) = ${kind} THEN ${sql.raw(row)}.payload->>'uuid' END`;

/**
 * Up to `limit` settled events after `position` (from the start for null), oldest first. The grid square and grid of an
 * event that names only a foil hole (or square) are looked up by primary key for each of those events (subqueries in
 * the select list): joined instead, a planner without table statistics (PGlite collects none) reads every foil hole
 * of the database into a hash table for each read of every open stream.
 */
export async function readLiveEvents(db: Db, position: LivePosition | null, limit: number): Promise<LiveEvent[]> {
  const result = (await db.execute(sql`SELECT s.id, s.tx::text AS tx, s.event_type, s.payload,
      coalesce(s.payload->>'grid_uuid', ${ofKind('grid', 's')}, (SELECT sq.grid_uuid FROM gridsquare sq WHERE sq.uuid = s.gridsquare_uuid)) AS grid_uuid,
      s.gridsquare_uuid
    FROM (SELECT e.id, e.tx, e.event_type, e.payload,
            coalesce(e.payload->>'gridsquare_uuid', ${ofKind('gridsquare')},
              (SELECT fh.gridsquare_uuid FROM foilhole fh WHERE fh.uuid = coalesce(e.payload->>'foilhole_uuid', ${ofKind('foilhole')}))) AS gridsquare_uuid
          FROM live_event e
          WHERE ${SETTLED} ${after(position)}
          ORDER BY e.tx, e.id LIMIT ${limit}) s
    ORDER BY s.tx, s.id`)) as unknown as { rows: Array<Record<string, unknown>> };
  return result.rows.map((r) => ({
    position: { tx: String(r.tx), id: Number(r.id) },
    event_type: String(r.event_type),
    payload: r.payload as Record<string, unknown>,
    grid_uuid: (r.grid_uuid as string | null) ?? null,
    gridsquare_uuid: (r.gridsquare_uuid as string | null) ?? null,
  }));
}

/** The newest settled event's position: where a stream starts that has seen nothing (null: none yet). */
export async function liveHead(db: Db): Promise<LivePosition | null> {
  const result = (await db.execute(sql`SELECT e.tx::text AS tx, e.id FROM live_event e WHERE ${SETTLED}
    ORDER BY e.tx DESC, e.id DESC LIMIT 1`)) as unknown as { rows: Array<{ tx: string; id: unknown }> };
  const row = result.rows[0];
  return row ? { tx: row.tx, id: Number(row.id) } : null;
}

/** Whether the log still holds the event at `position` (pruning removes the oldest; ids are never reused). */
export async function liveEventKept(db: Db, position: LivePosition): Promise<boolean> {
  const result = (await db.execute(sql`SELECT 1 FROM live_event WHERE id = ${position.id} AND tx = ${position.tx}::xid8`)) as unknown as {
    rows: unknown[];
  };
  return result.rows.length > 0;
}

/** Deletes events older than `keepMs`; returns how many. */
export async function pruneLiveEvents(db: Db, keepMs: number): Promise<number> {
  const result = (await db.execute(
    sql`DELETE FROM live_event WHERE created_at < now() - make_interval(secs => ${keepMs / 1000})`,
  )) as unknown as { rowCount?: number; affectedRows?: number };
  return result.rowCount ?? result.affectedRows ?? 0;
}
