/**
 * The decision engine's own tables: which authority decides for a grid (absent: the API's default), and the curve of
 * EPU's default order a simulation played on the grid for comparison.
 */
import { jsonb, pgTable, timestamp, varchar } from 'drizzle-orm/pg-core';
import { grid } from './schema.ts';

export const griddecisionauthority = pgTable('griddecisionauthority', {
  grid_uuid: varchar('grid_uuid')
    .primaryKey()
    .references(() => grid.uuid, { onDelete: 'cascade' }),
  authority: varchar('authority').notNull(),
  updated_at: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * EPU's default order on a grid (`PUT /grids/{uuid}/epu_default_order`), as columns (`t`, `beam_time`, `good`
 * arrays), replaced whole on each write. A trigger (migration 0011) adds a live event for the grid on every write,
 * so open atlas pages redraw and the overview kept by the API is dropped.
 */
export const gridepudefaultorder = pgTable('gridepudefaultorder', {
  grid_uuid: varchar('grid_uuid')
    .primaryKey()
    .references(() => grid.uuid, { onDelete: 'cascade' }),
  curve: jsonb('curve').$type<{ t: number[]; beam_time: number[]; good: number[] }>().notNull(),
  updated_at: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
