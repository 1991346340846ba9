import type { App } from '../app.ts';
import { ENTITIES } from '../entities.ts';
import { registerEntityRoutes } from './common.ts';

/** `/micrographs…`. */
export async function micrographRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, ENTITIES.micrograph, 'micrographs', 'micrograph_uuid');
}
