import type { App } from '../app.ts';
import { registerEntityRoutes } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** `/foilholes…` and `/foilholes/{foilhole_uuid}/micrographs`. */
export async function foilHoleRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, 'foilhole', 'foilholes', 'foilhole_uuid');
  registerChildRoutes(
    app,
    { kind: 'foilhole', plural: 'foilholes', param: 'foilhole_uuid' },
    { kind: 'micrograph', segment: 'micrographs' },
  );
}
