import type { FastifyInstance } from 'fastify';
import { ENTITIES } from '../entities.ts';
import { registerEntityRoutes } from './common.ts';

/** `/micrographs…`. */
export async function micrographRoutes(app: FastifyInstance): Promise<void> {
  registerEntityRoutes(app, ENTITIES.micrograph, 'micrographs', 'micrograph_uuid');
}
