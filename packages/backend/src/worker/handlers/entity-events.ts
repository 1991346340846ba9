import type { EventHandler, HandlerFamily } from './types.ts';
import { requireString } from './payload.ts';

const ENTITIES = ['acquisition', 'atlas', 'atlas_tile', 'grid', 'gridsquare', 'foilhole', 'micrograph'] as const;
const ACTIONS = ['created', 'updated', 'deleted'] as const;

/** The original's behaviour for entity events: check the payload names its entity, log, ack. */
const logEntityEvent: EventHandler = async (message, { log, info }) => {
  const uuid = requireString(message, 'uuid');
  log.info({ event_type: message.event_type, uuid, attempt: info.attempt }, 'event received');
};

/**
 * Every `<entity>.<created|updated|deleted>` event. (The original had no handler for `atlas_tile.*` and dropped those
 * messages with a warning; here they are logged like the others.)
 */
export const entityEventHandlers: HandlerFamily = Object.fromEntries(
  ENTITIES.flatMap((entity) => ACTIONS.map((action) => [`${entity}.${action}`, logEntityEvent] as const)),
);
