import type { HandlerFamily } from './types.ts';
import { entityEventHandlers } from './entity-events.ts';
import { gridWeightHandlers } from './grid-weights.ts';
import { processingHandlers } from './processing.ts';
import { recommendationHandlers } from './recommendations.ts';

export type { EventHandler, HandlerContext, HandlerFamily } from './types.ts';
export { recommendationHandlers };

/**
 * Every handler family the worker dispatches to. To handle a new event type, add a file exporting a `HandlerFamily`
 * and one line here. Families handling the same event type all run, in this order.
 */
export const handlerFamilies: readonly HandlerFamily[] = [
  entityEventHandlers,
  gridWeightHandlers,
  processingHandlers,
  recommendationHandlers,
];
