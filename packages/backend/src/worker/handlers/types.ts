import type { Logger } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import type { BusMessage, DeliveryInfo } from '../../bus/types.ts';

export interface HandlerContext {
  db: Db;
  log: Logger;
  info: DeliveryInfo;
}

/**
 * Handles one event. Must be idempotent: the bus delivers at least once, so the same message may arrive again (after a
 * reconnect, a retry, or on another worker). Throw to retry; throw `PermanentMessageError` for a payload no retry fixes.
 */
export type EventHandler = (message: BusMessage, ctx: HandlerContext) => Promise<void>;

/** One file's handlers, by `event_type`. Several families may handle the same event type; all of them run, in order. */
export type HandlerFamily = Readonly<Record<string, EventHandler>>;
