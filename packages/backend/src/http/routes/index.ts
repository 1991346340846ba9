/**
 * Every route group of the API, registered in this order. To add a group, write `routes/<name>.ts` exporting an
 * `async (app: App) => void` and add one line here.
 */
import type { App } from '../app.ts';
import { serviceRoutes } from './service.ts';
import { acquisitionRoutes } from './acquisitions.ts';
import { gridRoutes } from './grids.ts';
import { atlasRoutes } from './atlases.ts';
import { gridSquareRoutes } from './gridsquares.ts';
import { foilHoleRoutes } from './foilholes.ts';
import { micrographRoutes } from './micrographs.ts';
import { batchRoutes } from './batch.ts';
import { deadLetterRoutes } from './dead-letters.ts';
import { processingRoutes } from './processing.ts';
import { decisionRoutes } from './decisions.ts';
import { dashboardRoutes } from './dashboard.ts';
import { agentRoutes } from './agents.ts';
import { authConfigRoutes } from './auth-config.ts';
import { eventRoutes } from './events.ts';
import { imageRoutes } from './images.ts';

export const ROUTES: Array<(app: App) => Promise<void>> = [
  serviceRoutes,
  acquisitionRoutes,
  gridRoutes,
  atlasRoutes,
  gridSquareRoutes,
  foilHoleRoutes,
  micrographRoutes,
  batchRoutes,
  deadLetterRoutes,
  processingRoutes,
  decisionRoutes,
  dashboardRoutes,
  imageRoutes,
  agentRoutes,
  authConfigRoutes,
  eventRoutes,
];
