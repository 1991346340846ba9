/** Row counts of the backend's tables (`smartem tools db-table-totals`). */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';

/** The original's twelve tables and our outbox, in parent-before-child order. */
export const TABLES = [
  'acquisition',
  'grid',
  'atlas',
  'atlastile',
  'atlastilegridsquareposition',
  'gridsquare',
  'foilhole',
  'micrograph',
  'qualitypredictionmodel',
  'qualitypredictionmodelparameter',
  'qualitypredictionmodelweight',
  'qualityprediction',
  'outbox',
] as const;

export interface TableTotal {
  table: string;
  count: number;
}

export async function tableTotals(db: Db): Promise<TableTotal[]> {
  const out: TableTotal[] = [];
  for (const table of TABLES) {
    const result = (await db.execute(sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)}`)) as unknown as {
      rows: Array<{ n: number }>;
    };
    out.push({ table, count: Number(result.rows[0].n) });
  }
  return out;
}
