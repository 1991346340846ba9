import type { Kind } from '@smartem/common';

// The kinds the agent syncs, their order and their parents' uuid fields are the API's (`KINDS`, `KIND_ORDER`,
// `parentsOf` in `@smartem/common`); what is the agent's own is below: natural keys and contributions.

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

/**
 * One change to the store: the entity (created if new) gets these fields merged in. `parents` are the natural keys of
 * the kind's parents, in the order of `parentsOf(kind)`.
 */
export interface Contribution {
  key: string;
  kind: Kind;
  parents: string[];
  fields: Fields;
  /**
   * For fields that several files of one entity set (FoilHole manifests of one hole): the contribution applies only if
   * its `order` is not lower than the one last applied, so the latest manifest wins whatever the arrival order.
   */
  order?: string;
}
