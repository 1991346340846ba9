/**
 * The original's entities on the wire (seed-spec §5.2): one field list per entity; the create, update and response
 * schemas are generated from it. Additive fields beyond the original are marked.
 */
import type { TSchema } from 'typebox';
import { bool, datetime, int, num, objectSchema, oneOf, required, str, type Fields, type WireRecord } from './fields.ts';
import {
  ACQUISITION_STATUSES, FOILHOLE_STATUSES, GRID_STATUSES, GRIDSQUARE_STATUSES, MICROGRAPH_STATUSES,
} from './statuses.ts';

export const acquisitionFields = {
  uuid: required(str()),
  id: str(), // additive: the EPU session id
  name: required(str()),
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

export const gridFields = {
  uuid: required(str()),
  acquisition_uuid: str(),
  status: oneOf(GRID_STATUSES),
  name: required(str()),
  data_dir: str(),
  atlas_dir: str(),
  scan_start_time: datetime(),
  scan_end_time: datetime(),
} as const satisfies Fields;

export const atlasFields = {
  uuid: required(str()),
  grid_uuid: str(),
  atlas_id: required(str()),
  acquisition_date: datetime(),
  storage_folder: str(),
  description: str(),
  name: required(str()),
} as const satisfies Fields;

export const atlasTileFields = {
  uuid: required(str()),
  atlas_uuid: str(),
  tile_id: required(str()),
  position_x: int(),
  position_y: int(),
  size_x: int(),
  size_y: int(),
  file_format: str(),
  base_filename: str(),
} as const satisfies Fields;

export const atlasTileGridSquarePositionFields = {
  atlastile_uuid: required(str()),
  gridsquare_uuid: required(str()),
  center_x: required(int()),
  center_y: required(int()),
  size_width: required(int()),
  size_height: required(int()),
} as const satisfies Fields;

export const gridSquareFields = {
  uuid: required(str()),
  gridsquare_id: required(str()),
  grid_uuid: str(),
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

export const foilHoleFields = {
  uuid: required(str()),
  foilhole_id: required(str()),
  gridsquare_id: str(),
  gridsquare_uuid: str(), // additive in responses (the original's FoilHoleResponse omits it)
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

export const micrographFields = {
  uuid: required(str()),
  micrograph_id: required(str()), // additive on create: the manifest's unique_id
  foilhole_uuid: str(),
  foilhole_id: required(str()),
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
  selection_distribution: str(),
  number_of_particles_picked: int(),
  pick_distribution: str(),
} as const satisfies Fields;

export type Acquisition = WireRecord<typeof acquisitionFields>;
export type Grid = WireRecord<typeof gridFields>;
export type Atlas = WireRecord<typeof atlasFields>;
export type AtlasTile = WireRecord<typeof atlasTileFields>;
export type AtlasTileGridSquarePosition = WireRecord<typeof atlasTileGridSquarePositionFields>;
export type GridSquare = WireRecord<typeof gridSquareFields>;
export type FoilHole = WireRecord<typeof foilHoleFields>;
export type Micrograph = WireRecord<typeof micrographFields>;

/** What a create body carries: the required keys, every other field optional. */
export type CreateBody<F extends Fields, R extends keyof F> = Pick<WireRecord<F>, R> & Partial<WireRecord<F>>;

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

function entityWire(name: string, fields: Fields, createRequired: readonly string[]): EntityWire {
  const { uuid: _uuid, ...updatable } = fields;
  const all = Object.keys(fields);
  return {
    name,
    fields,
    createRequired,
    create: objectSchema(`${name}Create`, fields, createRequired),
    update: objectSchema(`${name}Update`, updatable, []),
    response: objectSchema(`${name}Response`, fields, all, { additionalProperties: true }),
  };
}

export const ENTITY_WIRES = {
  acquisition: entityWire('Acquisition', acquisitionFields, ['uuid']),
  grid: entityWire('Grid', gridFields, ['uuid', 'name', 'acquisition_uuid']),
  atlas: entityWire('Atlas', atlasFields, ['uuid', 'grid_uuid', 'name']),
  atlastile: entityWire('AtlasTile', atlasTileFields, ['uuid', 'atlas_uuid']),
  gridsquare: entityWire('GridSquare', gridSquareFields, ['uuid', 'gridsquare_id', 'grid_uuid']),
  foilhole: entityWire('FoilHole', foilHoleFields, ['uuid', 'foilhole_id', 'gridsquare_id', 'gridsquare_uuid']),
  micrograph: entityWire('Micrograph', micrographFields, ['uuid', 'foilhole_id']),
} as const;

export type EntityKey = keyof typeof ENTITY_WIRES;

export const POSITION_WIRE = {
  request: objectSchema('GridSquarePositionRequest', atlasTileGridSquarePositionFields, [
    'center_x', 'center_y', 'size_width', 'size_height',
  ]),
  response: objectSchema('AtlasTileGridSquarePositionResponse', atlasTileGridSquarePositionFields,
    Object.keys(atlasTileGridSquarePositionFields), { additionalProperties: true }),
  batchItem: objectSchema(undefined, atlasTileGridSquarePositionFields, Object.keys(atlasTileGridSquarePositionFields)),
};
