/** The decision engine's own table: which authority decides for a grid (absent: the API's default). */
import { pgTable, timestamp, varchar } from 'drizzle-orm/pg-core';
import { grid } from './schema.ts';

export const griddecisionauthority = pgTable('griddecisionauthority', {
  grid_uuid: varchar('grid_uuid')
    .primaryKey()
    .references(() => grid.uuid, { onDelete: 'cascade' }),
  authority: varchar('authority').notNull(),
  updated_at: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
