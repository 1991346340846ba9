import type { App } from '../app.ts';
import { registerEntityRoutes } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** `/gridsquares…` and `/gridsquares/{gridsquare_uuid}/foilholes` (filtered by the parent's uuid, unlike the original). */
export async function gridSquareRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, 'gridsquare', 'gridsquares', 'gridsquare_uuid');
  registerChildRoutes(
    app,
    { kind: 'gridsquare', plural: 'gridsquares', param: 'gridsquare_uuid' },
    { kind: 'foilhole', segment: 'foilholes' },
  );
}
