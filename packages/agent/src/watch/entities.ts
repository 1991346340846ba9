import type { BatchKind } from '@smartem/client';
import type { Kind } from '@smartem/common';
import type { KindFields } from '@smartem/epu';

/** What the agent syncs, one per batch route, in parent-before-child order. */
export const ENTITY_KINDS = ['acquisition', 'grid', 'atlas', 'tile', 'gridsquare', 'link', 'foilhole', 'micrograph'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const BATCH_ROUTE: Record<EntityKind, BatchKind> = {
  acquisition: 'acquisitions',
  grid: 'grids',
  atlas: 'atlases',
  tile: 'atlas-tiles',
  gridsquare: 'gridsquares',
  link: 'atlas-tile-gridsquare-positions',
  foilhole: 'foilholes',
  micrograph: 'micrographs',
};

/**
 * The body field that carries each parent's uuid, in the order of `Entity.parents`.
 * A link has two parents (tile, square) and no uuid of its own.
 */
export const PARENT_UUID_FIELDS: Record<EntityKind, readonly string[]> = {
  acquisition: [],
  grid: ['acquisition_uuid'],
  atlas: ['grid_uuid'],
  tile: ['atlas_uuid'],
  gridsquare: ['grid_uuid'],
  link: ['atlastile_uuid', 'gridsquare_uuid'],
  foilhole: ['gridsquare_uuid'],
  micrograph: ['foilhole_uuid'],
};

/**
 * The agent's name of each API kind: its journal records and the order above carry these (a tile is an `atlastile`,
 * a link a `position` in @smartem/common's table).
 */
export const AGENT_KIND = {
  acquisition: 'acquisition',
  grid: 'grid',
  atlas: 'atlas',
  atlastile: 'tile',
  gridsquare: 'gridsquare',
  position: 'link',
  foilhole: 'foilhole',
  micrograph: 'micrograph',
} as const satisfies Record<Kind, EntityKind>;

/** The fields of an entity of the agent's kind A: those of the API kind it is. */
export type AgentKindFields<A extends EntityKind> = KindFields<{ [K in Kind]: (typeof AGENT_KIND)[K] extends A ? K : never }[Kind]>;

export { entityKeys as keys, type Contribution, type EntityFields } from '@smartem/epu';
