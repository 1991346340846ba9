/**
 * Who may call what: every route the API registers, by method and route pattern (`request.routeOptions.url`), mapped
 * to the access it needs. A route missing here makes the app refuse to start with auth on, and fails
 * `test/auth-roles.test.ts`: a new route must be classified before it ships.
 */

export const ROLES = ['smartem-agent', 'smartem-operator', 'smartem-admin'] as const;
export type Role = (typeof ROLES)[number];

/** `public`: no token; `authenticated`: any valid token (reads); a role: a valid token carrying it. */
export type Access = 'public' | 'authenticated' | Role;

/** Static files served under these prefixes (Swagger UI, its JSON/YAML, the dashboard) need no token. */
export const PUBLIC_PREFIXES = ['/docs', '/ui'] as const;

const ENTITY_READS = [
  'GET /acquisitions',
  'GET /acquisitions/:acquisition_uuid',
  'GET /acquisitions/:acquisition_uuid/grids',
  'GET /grids',
  'GET /grids/:grid_uuid',
  'GET /grids/:grid_uuid/gridsquares',
  'GET /grids/:grid_uuid/atlas',
  'GET /atlases',
  'GET /atlases/:atlas_uuid',
  'GET /atlases/:atlas_uuid/tiles',
  'GET /atlas-tiles',
  'GET /atlas-tiles/:tile_uuid',
  'GET /gridsquares',
  'GET /gridsquares/:gridsquare_uuid',
  'GET /gridsquares/:gridsquare_uuid/foilholes',
  'GET /foilholes',
  'GET /foilholes/:foilhole_uuid',
  'GET /foilholes/:foilhole_uuid/micrographs',
  'GET /micrographs',
  'GET /micrographs/:micrograph_uuid',
  'GET /grids/:grid_uuid/decision_authority',
  'GET /grids/:grid_uuid/suggested_squares',
  'GET /gridsquares/:gridsquare_uuid/suggested_holes',
  'GET /agents',
  'GET /agent/:agent_id/session/:session_id',
  'GET /agent/:agent_id/session/:session_id/instructions',
  'GET /grids/:grid_uuid/collection',
  'GET /grids/:grid_uuid/overview',
  'GET /grids/:grid_uuid/overview/ranking',
  'GET /gridsquares/:gridsquare_uuid/collection',
  'GET /events/stream',
  'GET /images/:kind/:uuid',
];

/** What the agent writes: EPU's entities, one by one or in batches. */
const EPU_WRITES = [
  'POST /acquisitions',
  'PUT /acquisitions/:acquisition_uuid',
  'POST /acquisitions/:acquisition_uuid/grids',
  'PUT /grids/:grid_uuid',
  'POST /grids/:grid_uuid/gridsquares',
  'POST /grids/:grid_uuid/atlas',
  'PUT /atlases/:atlas_uuid',
  'POST /atlases/:atlas_uuid/tiles',
  'PUT /atlas-tiles/:tile_uuid',
  'POST /atlas-tiles/:tile_uuid/gridsquares/:gridsquare_uuid',
  'PUT /gridsquares/:gridsquare_uuid',
  'POST /gridsquares/:gridsquare_uuid/foilholes',
  'PUT /foilholes/:foilhole_uuid',
  'POST /foilholes/:foilhole_uuid/micrographs',
  'PUT /micrographs/:micrograph_uuid',
  'POST /batch/acquisitions',
  'POST /batch/grids',
  'POST /batch/atlases',
  'POST /batch/atlas-tiles',
  'POST /batch/atlas-tile-gridsquare-positions',
  'POST /batch/gridsquares',
  'POST /batch/foilholes',
  'POST /batch/micrographs',
  'PUT /images/:kind/:uuid',
];

/** The agent's side of the instruction channel: its session, the stream, acknowledgements and heartbeats. */
const AGENT_CHANNEL = [
  'PUT /agent/:agent_id/session/:session_id',
  'GET /agent/:agent_id/session/:session_id/instructions/stream',
  'POST /agent/:agent_id/session/:session_id/instructions/:instruction_id/ack',
  'POST /agent/:agent_id/session/:session_id/heartbeat',
];

/** Processing results from the pipelines, the decision settings operators choose, and what tools store for comparison. */
const OPERATOR_WRITES = [
  'POST /micrographs/:micrograph_uuid/motion_correction',
  'POST /micrographs/:micrograph_uuid/ctf',
  'POST /micrographs/:micrograph_uuid/particle_picking',
  'POST /micrographs/:micrograph_uuid/particle_selection',
  'PUT /grids/:grid_uuid/decision_authority',
  'POST /grids/:grid_uuid/predictions',
  'PUT /grids/:grid_uuid/epu_default_order',
  'POST /instructions/:instruction_id/approve',
  'POST /instructions/:instruction_id/decline',
  'POST /instructions',
];

const ADMIN = [
  'DELETE /acquisitions/:acquisition_uuid',
  'DELETE /grids/:grid_uuid',
  'DELETE /atlases/:atlas_uuid',
  'DELETE /atlas-tiles/:tile_uuid',
  'DELETE /gridsquares/:gridsquare_uuid',
  'DELETE /foilholes/:foilhole_uuid',
  'DELETE /micrographs/:micrograph_uuid',
  'GET /dead-letters',
];

const TABLE: Array<[Access, string[]]> = [
  ['public', ['GET /status', 'GET /health', 'GET /openapi.json', 'GET /', 'GET /metrics', 'GET /auth/config']],
  ['authenticated', ENTITY_READS],
  ['smartem-agent', [...EPU_WRITES, ...AGENT_CHANNEL]],
  ['smartem-operator', OPERATOR_WRITES],
  ['smartem-admin', ADMIN],
];

/** `"METHOD /route/:pattern"` → access. */
export const ROUTE_ACCESS: ReadonlyMap<string, Access> = (() => {
  const map = new Map<string, Access>();
  for (const [access, routes] of TABLE) {
    for (const route of routes) {
      if (map.has(route)) throw new Error(`auth/roles.ts lists ${route} twice`);
      map.set(route, access);
    }
  }
  return map;
})();

/** The access a route needs, or undefined when the table does not classify it. HEAD needs what GET needs. */
export function accessOf(method: string, url: string): Access | undefined {
  if (PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) return 'public';
  const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return ROUTE_ACCESS.get(`${verb} ${url}`);
}

/** Admin implies every role: it is the facility's superuser. Agent and operator are disjoint. */
export function grants(roles: ReadonlySet<string>, access: Access): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  return roles.has(access) || roles.has('smartem-admin');
}
