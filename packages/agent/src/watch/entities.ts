import type { BatchKind } from '@smartem/client';

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

export type FieldValue = string | number | boolean;
export type Fields = Record<string, FieldValue>;

/**
 * Natural keys: unique per parent, built from the grid directory (relative to the watched root, POSIX separators) and
 * EPU's natural ids, so the same foil hole id on two grids is two entities.
 */
export const keys = {
  acquisition: () => 'acq',
  grid: (grid: string) => `grid|${grid}`,
  atlas: (grid: string) => `atlas|${grid}`,
  tile: (grid: string, tileId: string) => `tile|${grid}|${tileId}`,
  gridsquare: (grid: string, gs: string) => `gs|${grid}|${gs}`,
  link: (grid: string, tileId: string, gs: string) => `link|${grid}|${tileId}|${gs}`,
  foilhole: (grid: string, gs: string, fh: string) => `fh|${grid}|${gs}|${fh}`,
  micrograph: (grid: string, gs: string, fh: string, id: string) => `mic|${grid}|${gs}|${fh}|${id}`,
};

/** One change to the store: the entity (created if new) gets these fields merged in. */
export interface Contribution {
  key: string;
  kind: EntityKind;
  parents: string[];
  fields: Fields;
  /**
   * For fields that several files of one entity set (FoilHole manifests of one hole): the contribution applies only if
   * its `order` is not lower than the one last applied, so the latest manifest wins whatever the arrival order.
   */
  order?: string;
}
