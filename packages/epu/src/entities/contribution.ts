/**
 * What EPU files become: entities keyed by natural keys, each built from the contributions of the files that describe
 * it. The assembler produces contributions; `mergeContribution` is the one rule for folding them into an entity.
 */

/** Every entity kind, parent before child. */
export type EntityKind = 'acquisition' | 'grid' | 'atlas' | 'tile' | 'gridsquare' | 'link' | 'foilhole' | 'micrograph';

export type FieldValue = string | number | boolean;
export type Fields = Record<string, FieldValue>;

/**
 * Natural keys: unique per parent, built from the grid directory (relative to the root, POSIX separators) and EPU's
 * natural ids, so the same foil hole id on two grids is two entities.
 */
export const entityKeys = {
  acquisition: () => 'acq',
  grid: (grid: string) => `grid|${grid}`,
  atlas: (grid: string) => `atlas|${grid}`,
  tile: (grid: string, tileId: string) => `tile|${grid}|${tileId}`,
  gridsquare: (grid: string, gs: string) => `gs|${grid}|${gs}`,
  link: (grid: string, tileId: string, gs: string) => `link|${grid}|${tileId}|${gs}`,
  foilhole: (grid: string, gs: string, fh: string) => `fh|${grid}|${gs}|${fh}`,
  micrograph: (grid: string, gs: string, fh: string, id: string) => `mic|${grid}|${gs}|${fh}|${id}`,
};

/** One file's part of an entity: the entity (created if new) gets these fields merged in. */
export interface Contribution {
  key: string;
  kind: EntityKind;
  /** Parent keys; a link has two (tile, square). */
  parents: string[];
  fields: Fields;
  /**
   * For fields that several files of one entity set (FoilHole manifests of one hole): the contribution applies only if
   * its `order` is not lower than the one last applied, so the latest manifest wins whatever the arrival order.
   */
  order?: string;
}

/** An entity as its files describe it. */
export interface AssembledEntity {
  key: string;
  kind: EntityKind;
  parents: string[];
  fields: Fields;
  /** `Contribution.order` last applied. */
  order?: string;
}

/** True when a contribution with a higher `order` was already applied to the entity (an older FoilHole manifest). */
export function isSuperseded(entity: { order?: string }, c: Contribution): boolean {
  return c.order !== undefined && entity.order !== undefined && c.order < entity.order;
}

/**
 * Folds a contribution into an entity of the same key: returns the fields that changed (empty when nothing did), or
 * null when the contribution is older (`order`) than one already applied.
 */
export function mergeContribution(entity: { fields: Fields; order?: string }, c: Contribution): Fields | null {
  if (isSuperseded(entity, c)) return null;
  if (c.order !== undefined) entity.order = c.order;
  const delta: Fields = {};
  for (const name in c.fields) {
    const value = c.fields[name]!;
    if (entity.fields[name] !== value) {
      entity.fields[name] = value;
      delta[name] = value;
    }
  }
  return delta;
}

/** Merges contributions into a map of entities (what a whole-directory parse yields). */
export function addContributions(entities: Map<string, AssembledEntity>, contributions: readonly Contribution[]): void {
  for (const c of contributions) {
    let entity = entities.get(c.key);
    if (!entity) entities.set(c.key, (entity = { key: c.key, kind: c.kind, parents: c.parents, fields: {} }));
    mergeContribution(entity, c);
  }
}
