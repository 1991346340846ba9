import type { App } from '../app.ts';
import { registerEntityRoutes } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** `/grids…` and `/grids/{grid_uuid}/gridsquares` (the grid's atlas is in atlases.ts). */
export async function gridRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, 'grid', 'grids', 'grid_uuid');
  registerChildRoutes(app, { kind: 'grid', plural: 'grids', param: 'grid_uuid' }, { kind: 'gridsquare', segment: 'gridsquares' });
}
