import type { App } from '../app.ts';
import { registerEntityRoutes } from './common.ts';

/** `/micrographs…`. */
export async function micrographRoutes(app: App): Promise<void> {
  registerEntityRoutes(app, 'micrograph', 'micrographs', 'micrograph_uuid');
}
