/** The decision authority chosen per grid (`griddecisionauthority`). */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { griddecisionauthority } from '../db/schema.ts';

/** The stored name, if the grid has one (not checked against the known authorities: that is the service's). */
export async function storedAuthorityName(db: Db, gridUuid: string): Promise<string | undefined> {
  const rows = await db
    .select({ a: griddecisionauthority.authority })
    .from(griddecisionauthority)
    .where(eq(griddecisionauthority.grid_uuid, gridUuid));
  return rows[0]?.a;
}

export async function saveAuthority(db: Db, gridUuid: string, authority: string): Promise<void> {
  await db
    .insert(griddecisionauthority)
    .values({ grid_uuid: gridUuid, authority })
    .onConflictDoUpdate({ target: griddecisionauthority.grid_uuid, set: { authority, updated_at: new Date() } });
}
