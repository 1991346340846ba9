/**
 * The entity vocabulary, defined once: `KINDS` says, for every kind, its names on the wire (component, route, event),
 * parents, natural id, fields, the original's "not found" message, the server's default status and its event payload.
 * Schemas, batch order, per-kind TypeScript types, the client's and agent's vocabularies and the backend's entity
 * definitions are all derived from it. Additive fields beyond the original are marked.
 */
import type { TSchema } from 'typebox';
import { bool, datetime, doc, id, int, num, objectSchema, oneOf, required, str, uuid, type Fields, type WireRecord } from './fields.ts';
import { ACQUISITION_STATUSES, FOILHOLE_STATUSES, GRID_STATUSES, GRIDSQUARE_STATUSES, MICROGRAPH_STATUSES } from './statuses.ts';

const acquisitionFields = {
  uuid: required(uuid()),
  id: id(), // additive: the EPU session id
  name: required(id()),
  status: oneOf(ACQUISITION_STATUSES),
  start_time: datetime(),
  end_time: datetime(),
  paused_time: datetime(),
  storage_path: str(),
  atlas_path: str(),
  clustering_mode: str(),
  clustering_radius: str(),
  instrument_model: str(),
  instrument_id: str(),
  computer_name: str(),
} as const satisfies Fields;

const gridFields = {
  uuid: required(uuid()),
  acquisition_uuid: id(),
  status: oneOf(GRID_STATUSES),
  name: required(id()),
  data_dir: str(),
  atlas_dir: str(),
  scan_start_time: datetime(),
  scan_end_time: datetime(),
} as const satisfies Fields;

const atlasFields = {
  uuid: required(uuid()),
  grid_uuid: id(),
  atlas_id: required(id()),
  acquisition_date: datetime(),
  storage_folder: str(),
  description: str(),
  name: required(id()),
} as const satisfies Fields;

const atlasTileFields = {
  uuid: required(uuid()),
  atlas_uuid: id(),
  tile_id: required(id()),
  position_x: int(),
  position_y: int(),
  size_x: int(),
  size_y: int(),
  file_format: str(),
  base_filename: str(),
} as const satisfies Fields;

const atlasTileGridSquarePositionFields = {
  atlastile_uuid: required(uuid()),
  gridsquare_uuid: required(uuid()),
  center_x: required(int()),
  center_y: required(int()),
  size_width: required(int()),
  size_height: required(int()),
} as const satisfies Fields;

const gridSquareFields = {
  uuid: required(uuid()),
  gridsquare_id: required(id()),
  grid_uuid: id(),
  status: oneOf(GRIDSQUARE_STATUSES),
  data_dir: str(),
  atlas_node_id: int(),
  state: str(),
  rotation: num(),
  image_path: str(),
  selected: bool(),
  unusable: bool(),
  stage_position_x: num(),
  stage_position_y: num(),
  stage_position_z: num(),
  center_x: int(),
  center_y: int(),
  physical_x: num(),
  physical_y: num(),
  size_width: int(),
  size_height: int(),
  acquisition_datetime: datetime(),
  defocus: num(),
  magnification: num(),
  pixel_size: num(),
  detector_name: str(),
  applied_defocus: num(),
  atlas_category: int(), // additive: the atlas node's Category
  atlas_quality: num(), // additive: the atlas node's PositionOnTheAtlas/Quality
} as const satisfies Fields;

const foilHoleFields = {
  uuid: required(uuid()),
  foilhole_id: required(id()),
  gridsquare_id: id(),
  gridsquare_uuid: id(), // additive in responses (the original's FoilHoleResponse omits it)
  status: oneOf(FOILHOLE_STATUSES),
  center_x: num(),
  center_y: num(),
  quality: num(),
  rotation: num(),
  size_width: num(),
  size_height: num(),
  x_location: int(),
  y_location: int(),
  x_stage_position: num(),
  y_stage_position: num(),
  diameter: int(),
  is_near_grid_bar: required(bool()),
  selected: bool(), // additive: the target location's Selected (square metadata)
  state: str(), // additive: the target location's State
  position_quality: num(), // additive: the target location's Quality
  acquisition_datetime: datetime(), // additive: the foil-hole image's acquisition time
} as const satisfies Fields;

const micrographFields = {
  uuid: required(uuid()),
  micrograph_id: required(id()), // additive on create: the manifest's unique_id
  foilhole_uuid: id(),
  foilhole_id: required(id()),
  location_id: str(),
  status: oneOf(MICROGRAPH_STATUSES),
  high_res_path: str(),
  manifest_file: str(),
  acquisition_datetime: datetime(),
  defocus: num(),
  detector_name: str(),
  energy_filter: bool(),
  phase_plate: bool(),
  image_size_x: int(),
  image_size_y: int(),
  binning_x: int(),
  binning_y: int(),
  total_motion: num(),
  average_motion: num(),
  ctf_max_resolution_estimate: num(),
  number_of_particles_selected: int(),
  number_of_particles_rejected: int(),
  selection_distribution: doc(),
  number_of_particles_picked: int(),
  pick_distribution: doc(),
} as const satisfies Fields;

/** A parent of a kind and the field of a child's body that holds the parent's uuid. */
export interface ParentRef {
  readonly kind: string;
  readonly field: string;
}

export interface KindSpec {
  /** Component-name prefix: `<name>Create`, `<name>Update`, `<name>Response` (e.g. `GridSquare`). */
  readonly name: string;
  /** Component name of the HTTP create body when it is not `<name>Create`. */
  readonly createName?: string;
  /** Route segment of the collection and of its batch route (`/atlas-tiles`, `/batch/atlas-tiles`). */
  readonly route: string;
  /** Path parameter naming one item (`/atlas-tiles/{tile_uuid}`); null when it has no item routes. */
  readonly param: string | null;
  /** Segment of its collection under its parent's item route (`/atlases/{atlas_uuid}/tiles`); null when none. */
  readonly underParent: string | null;
  /** Bus event name (`atlas_tile` → `atlas_tile.created`); null when it publishes none. */
  readonly event: string | null;
  /** Its parents, each with the body field holding the parent's uuid; routes nest under the first. */
  readonly parents: readonly ParentRef[];
  /** Natural (EPU) id, unique within the parent; null when none. */
  readonly natural: string | null;
  /** The original's 404 message; null when it has no item routes. */
  readonly notFound: string | null;
  /** Status the server stores on create when none is sent; null when none. */
  readonly defaultStatus: string | null;
  readonly fields: Fields;
  /** Keys an HTTP create body must have (the original's required fields). */
  readonly createRequired: readonly string[];
  /** Event payload besides `uuid`: payload key → field of the stored row (string fields only: SQL builds them too). */
  readonly payload: Readonly<Record<string, string>>;
}

/** The one table of the entity vocabulary, keyed by kind, parents before children. */
export const KINDS = {
  acquisition: {
    name: 'Acquisition',
    route: 'acquisitions',
    param: 'acquisition_uuid',
    underParent: null,
    event: 'acquisition',
    parents: [],
    natural: null,
    notFound: 'Acquisition not found',
    defaultStatus: 'planned',
    fields: acquisitionFields,
    createRequired: ['uuid'],
    payload: { id: 'id' },
  },
  grid: {
    name: 'Grid',
    route: 'grids',
    param: 'grid_uuid',
    underParent: 'grids',
    event: 'grid',
    parents: [{ kind: 'acquisition', field: 'acquisition_uuid' }],
    natural: null,
    notFound: 'Grid not found',
    defaultStatus: 'none',
    fields: gridFields,
    createRequired: ['uuid', 'name', 'acquisition_uuid'],
    payload: { acquisition_uuid: 'acquisition_uuid' },
  },
  atlas: {
    name: 'Atlas',
    route: 'atlases',
    param: 'atlas_uuid',
    underParent: 'atlas',
    event: 'atlas',
    parents: [{ kind: 'grid', field: 'grid_uuid' }],
    natural: 'atlas_id',
    notFound: 'Atlas not found',
    defaultStatus: null,
    fields: atlasFields,
    createRequired: ['uuid', 'grid_uuid', 'name'],
    payload: { id: 'atlas_id', grid_uuid: 'grid_uuid' },
  },
  atlastile: {
    name: 'AtlasTile',
    route: 'atlas-tiles',
    param: 'tile_uuid',
    underParent: 'tiles',
    event: 'atlas_tile',
    parents: [{ kind: 'atlas', field: 'atlas_uuid' }],
    natural: 'tile_id',
    notFound: 'Atlas tile not found',
    defaultStatus: null,
    fields: atlasTileFields,
    createRequired: ['uuid', 'atlas_uuid'],
    payload: { id: 'tile_id', atlas_uuid: 'atlas_uuid' },
  },
  gridsquare: {
    name: 'GridSquare',
    route: 'gridsquares',
    param: 'gridsquare_uuid',
    underParent: 'gridsquares',
    event: 'gridsquare',
    parents: [{ kind: 'grid', field: 'grid_uuid' }],
    natural: 'gridsquare_id',
    notFound: 'Grid Square not found',
    defaultStatus: 'none',
    fields: gridSquareFields,
    createRequired: ['uuid', 'gridsquare_id', 'grid_uuid'],
    payload: { grid_uuid: 'grid_uuid', gridsquare_id: 'gridsquare_id' },
  },
  /** A tile ↔ square link: no uuid of its own (identified by its two parents), no events, no item routes. */
  position: {
    name: 'AtlasTileGridSquarePosition',
    createName: 'GridSquarePositionRequest',
    route: 'atlas-tile-gridsquare-positions',
    param: null,
    underParent: null,
    event: null,
    parents: [
      { kind: 'atlastile', field: 'atlastile_uuid' },
      { kind: 'gridsquare', field: 'gridsquare_uuid' },
    ],
    natural: null,
    notFound: null,
    defaultStatus: null,
    fields: atlasTileGridSquarePositionFields,
    createRequired: ['center_x', 'center_y', 'size_width', 'size_height'],
    payload: {},
  },
  foilhole: {
    name: 'FoilHole',
    route: 'foilholes',
    param: 'foilhole_uuid',
    underParent: 'foilholes',
    event: 'foilhole',
    parents: [{ kind: 'gridsquare', field: 'gridsquare_uuid' }],
    natural: 'foilhole_id',
    notFound: 'Foil Hole not found',
    defaultStatus: 'none',
    fields: foilHoleFields,
    createRequired: ['uuid', 'foilhole_id', 'gridsquare_id', 'gridsquare_uuid'],
    payload: { foilhole_id: 'foilhole_id', gridsquare_uuid: 'gridsquare_uuid', gridsquare_id: 'gridsquare_id' },
  },
  micrograph: {
    name: 'Micrograph',
    route: 'micrographs',
    param: 'micrograph_uuid',
    underParent: 'micrographs',
    event: 'micrograph',
    parents: [{ kind: 'foilhole', field: 'foilhole_uuid' }],
    natural: 'micrograph_id',
    notFound: 'Micrograph not found',
    defaultStatus: 'none',
    fields: micrographFields,
    createRequired: ['uuid', 'foilhole_id'],
    payload: { foilhole_uuid: 'foilhole_uuid', foilhole_id: 'foilhole_id', micrograph_id: 'micrograph_id' },
  },
} as const satisfies Record<string, KindSpec>;

/** Every kind the API takes (the batch routes'). */
export type Kind = keyof typeof KINDS;
type Spec<K extends Kind> = (typeof KINDS)[K];
/** Kinds with a uuid of their own: item routes, update bodies and bus events. */
export type EntityKind = { [K in Kind]: 'uuid' extends keyof Spec<K>['fields'] ? K : never }[Kind];

/** A kind's entry seen as the general `KindSpec` (optional members readable). */
const specOf = (kind: Kind): KindSpec => KINDS[kind];

/** Every kind, parents before children (the order batches must be sent in). */
export const KIND_ORDER: readonly Kind[] = (() => {
  const order: Kind[] = [];
  const visit = (kind: Kind, path: readonly Kind[]): void => {
    if (order.includes(kind)) return;
    if (path.includes(kind)) throw new Error(`KINDS: parent cycle ${[...path, kind].join(' → ')}`);
    for (const parent of specOf(kind).parents) {
      if (!(parent.kind in KINDS)) throw new Error(`KINDS.${kind}: unknown parent kind ${parent.kind}`);
      visit(parent.kind as Kind, [...path, kind]);
    }
    order.push(kind);
  };
  for (const kind of Object.keys(KINDS) as Kind[]) visit(kind, []);
  return order;
})();

export const isEntityKind = (kind: Kind): kind is EntityKind => 'uuid' in KINDS[kind].fields;
/** The kinds with a uuid, parents before children. */
export const ENTITY_KINDS: readonly EntityKind[] = KIND_ORDER.filter(isEntityKind);

/** The parents of a kind, each with the body field that holds its uuid. */
export const parentsOf = <K extends Kind>(kind: K): ReadonlyArray<Spec<K>['parents'][number]> => KINDS[kind].parents;

/** The record of a kind as the API returns it (every field present; datetimes as ISO strings). */
export type EntityRecord<K extends Kind> = WireRecord<Spec<K>['fields']>;
/** The body fields that hold a kind's parents' uuids. */
export type ParentField<K extends Kind> = Spec<K>['parents'][number]['field'];
/** An HTTP create body: the original's required keys, every other field optional. */
export type CreateBody<K extends Kind> = Pick<EntityRecord<K>, Extract<Spec<K>['createRequired'][number], keyof EntityRecord<K>>> &
  Partial<EntityRecord<K>>;
/** An HTTP update body: any field but `uuid`. */
export type UpdateBody<K extends EntityKind> = Partial<Omit<EntityRecord<K>, 'uuid'>>;
/** An item of `POST /batch/<route>`: a create body that also names every parent. */
export type BatchItem<K extends Kind> = CreateBody<K> & Pick<EntityRecord<K>, Extract<ParentField<K>, keyof EntityRecord<K>>>;
/** What describes an entity besides its identity (`uuid`) and its parents: what a client gathers per kind. */
export type OwnFields<K extends Kind> = Partial<Omit<EntityRecord<K>, 'uuid' | ParentField<K>>>;

export type Acquisition = EntityRecord<'acquisition'>;
export type Grid = EntityRecord<'grid'>;
export type Atlas = EntityRecord<'atlas'>;
export type AtlasTile = EntityRecord<'atlastile'>;
export type AtlasTileGridSquarePosition = EntityRecord<'position'>;
export type GridSquare = EntityRecord<'gridsquare'>;
export type FoilHole = EntityRecord<'foilhole'>;
export type Micrograph = EntityRecord<'micrograph'>;

/** The keys a batch item of a kind must have: the create body's and every parent's uuid field. */
export function batchRequired(kind: Kind): string[] {
  const spec = specOf(kind);
  const keys = new Set([...spec.createRequired, ...spec.parents.map((p) => p.field)]);
  // A kind without a uuid is identified by its parents: list its keys in field order.
  return 'uuid' in spec.fields ? [...keys] : Object.keys(spec.fields).filter((k) => keys.has(k));
}

export interface EntityWire {
  /** Component name prefix, e.g. `GridSquare`. */
  name: string;
  fields: Fields;
  /** Keys a create body must have (the original's required fields). */
  createRequired: readonly string[];
  /** `<name>Create`, `<name>Update` (every field optional, `uuid` ignored) and `<name>Response`. */
  create: TSchema;
  update: TSchema;
  response: TSchema;
}

function entityWire(kind: EntityKind): EntityWire {
  const { name, fields, createRequired } = specOf(kind);
  const { uuid: _uuid, ...updatable } = fields;
  return {
    name,
    fields,
    createRequired,
    create: objectSchema(`${name}Create`, fields, createRequired),
    update: objectSchema(`${name}Update`, updatable, []),
    response: objectSchema(`${name}Response`, fields, Object.keys(fields), { additionalProperties: true }),
  };
}

/** The HTTP schemas of every kind with a uuid (registered as named components, in `ENTITY_KINDS` order). */
export const ENTITY_WIRES = Object.fromEntries(ENTITY_KINDS.map((k) => [k, entityWire(k)])) as Record<EntityKind, EntityWire>;

/** The HTTP schemas of a tile ↔ square position: its request body (uuids from the path) and response. */
export const POSITION_WIRE = (() => {
  const { name, createName, fields, createRequired } = KINDS.position;
  return {
    request: objectSchema(createName, fields, createRequired),
    response: objectSchema(`${name}Response`, fields, Object.keys(fields), { additionalProperties: true }),
  };
})();
