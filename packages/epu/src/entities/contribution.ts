/**
 * What EPU files become: entities keyed by natural keys, each built from the contributions of the files that describe
 * it. The assembler produces contributions; `mergeContribution` is the one rule for folding them into an entity.
 * Kinds and field types are the API's (`KINDS` of @smartem/common).
 */
import type { Kind, OwnFields } from '@smartem/common';

/** The fields of an entity of kind K as the files describe it: its create body without its uuid and parents' uuids. */
export type KindFields<K extends Kind> = OwnFields<K>;
/** The fields of an entity of any kind. */
export type EntityFields = { [K in Kind]: KindFields<K> }[Kind];
/** A field's value once gathered (nulls are never sent: the original client sends `exclude_none`). */
export type FieldValue = string | number | boolean;

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

/** One file's part of an entity of kind K: the entity (created if new) gets these fields merged in. */
export interface KindContribution<K extends Kind> {
  key: string;
  kind: K;
  /** Parent keys; a link has two (tile, square). */
  parents: string[];
  fields: KindFields<K>;
  /**
   * For fields that several files of one entity set (FoilHole manifests of one hole): the contribution applies only if
   * its `order` is not lower than the one last applied, so the latest manifest wins whatever the arrival order.
   */
  order?: string;
}

export type Contribution = { [K in Kind]: KindContribution<K> }[Kind];

/** An entity as its files describe it. */
export interface AssembledEntity {
  key: string;
  kind: Kind;
  parents: string[];
  fields: EntityFields;
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
export function mergeContribution(entity: { fields: EntityFields; order?: string }, c: Contribution): EntityFields | null {
  if (isSuperseded(entity, c)) return null;
  if (c.order !== undefined) entity.order = c.order;
  // By name: the same key always has the same kind, so the merged fields stay those of `c.kind`.
  const target = entity.fields as Record<string, FieldValue | null | undefined>;
  const delta: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(c.fields) as [string, FieldValue | null | undefined][]) {
    if (value === null || value === undefined || target[name] === value) continue;
    target[name] = value;
    delta[name] = value;
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
