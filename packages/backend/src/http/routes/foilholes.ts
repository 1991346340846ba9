import type { App } from '../app.ts';
import { ENTITIES } from '../entities.ts';
import { registerEntityRoutes } from './common.ts';
import { registerChildRoutes } from './children.ts';

/** `/foilholes…` and `/foilholes/{foilhole_uuid}/micrographs`. */
export async function foilHoleRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, ENTITIES.foilhole, 'foilholes', 'foilhole_uuid');
  registerChildRoutes(app, { def: ENTITIES.foilhole, plural: 'foilholes', param: 'foilhole_uuid' }, { def: ENTITIES.micrograph, segment: 'micrographs' });
}
