import type { Db } from '../db/index.ts';

/** What a service writes through: the database, and what to call after a commit that wrote outbox rows (wakes the relay). */
export interface Store {
  db: Db;
  onCommit?: () => void;
}
