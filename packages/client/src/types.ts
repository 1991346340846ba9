// Request and response bodies of the backend API, field names exactly as the original's (seed-spec §4.4, §5).
// Every optional field may be omitted; like the original client we never send `null` for "unknown".

export interface AcquisitionCreate {
  uuid: string;
  /** Additive field of the batch route: the EPU session id. */
  id?: string;
  name?: string;
  status?: string;
  start_time?: string;
  end_time?: string;
  paused_time?: string;
  storage_path?: string;
  atlas_path?: string;
  clustering_mode?: string;
  clustering_radius?: string;
  instrument_model?: string;
  instrument_id?: string;
  computer_name?: string;
}

export interface GridCreate {
  uuid: string;
  name: string;
  acquisition_uuid: string;
  status?: string;
  data_dir?: string;
  atlas_dir?: string;
  scan_start_time?: string;
  scan_end_time?: string;
}

export interface AtlasCreate {
  uuid: string;
  grid_uuid: string;
  name: string;
  atlas_id?: string;
  acquisition_date?: string;
  storage_folder?: string;
  description?: string;
}

export interface AtlasTileCreate {
  uuid: string;
  atlas_uuid: string;
  tile_id?: string;
  position_x?: number;
  position_y?: number;
  size_x?: number;
  size_y?: number;
  file_format?: string;
  base_filename?: string;
}

export interface AtlasTileGridSquarePosition {
  atlastile_uuid: string;
  gridsquare_uuid: string;
  center_x: number;
  center_y: number;
  size_width: number;
  size_height: number;
}

export interface GridSquareCreate {
  uuid: string;
  gridsquare_id: string;
  grid_uuid: string;
  status?: string;
  data_dir?: string;
  atlas_node_id?: number;
  state?: string;
  rotation?: number;
  image_path?: string;
  selected?: boolean;
  unusable?: boolean;
  stage_position_x?: number;
  stage_position_y?: number;
  stage_position_z?: number;
  center_x?: number;
  center_y?: number;
  physical_x?: number;
  physical_y?: number;
  size_width?: number;
  size_height?: number;
  acquisition_datetime?: string;
  defocus?: number;
  magnification?: number;
  pixel_size?: number;
  detector_name?: string;
  applied_defocus?: number;
}

export interface FoilHoleCreate {
  uuid: string;
  foilhole_id: string;
  gridsquare_id: string;
  gridsquare_uuid: string;
  center_x?: number;
  center_y?: number;
  quality?: number;
  rotation?: number;
  size_width?: number;
  size_height?: number;
  x_location?: number;
  y_location?: number;
  x_stage_position?: number;
  y_stage_position?: number;
  diameter?: number;
  is_near_grid_bar?: boolean;
  status?: string;
}

export interface MicrographCreate {
  uuid: string;
  foilhole_id: string;
  foilhole_uuid?: string;
  /** Additive field of the batch route: the manifest's `unique_id`. */
  micrograph_id?: string;
  location_id?: string;
  high_res_path?: string;
  manifest_file?: string;
  acquisition_datetime?: string;
  defocus?: number;
  detector_name?: string;
  energy_filter?: boolean;
  phase_plate?: boolean;
  image_size_x?: number;
  image_size_y?: number;
  binning_x?: number;
  binning_y?: number;
  status?: string;
}

/** The batch routes, in the order parents must be sent before children. */
export const BATCH_KINDS = [
  'acquisitions',
  'grids',
  'atlases',
  'atlas-tiles',
  'gridsquares',
  'atlas-tile-gridsquare-positions',
  'foilholes',
  'micrographs',
] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

export interface BatchItemByKind {
  acquisitions: AcquisitionCreate;
  grids: GridCreate;
  atlases: AtlasCreate;
  'atlas-tiles': AtlasTileCreate;
  gridsquares: GridSquareCreate;
  'atlas-tile-gridsquare-positions': AtlasTileGridSquarePosition;
  foilholes: FoilHoleCreate;
  micrographs: MicrographCreate;
}

export type BatchOutcome = 'created' | 'updated' | 'unchanged' | 'rejected';

export interface BatchItemResult {
  requested_uuid?: string;
  uuid?: string;
  outcome: BatchOutcome;
  status?: number;
  detail?: string;
}

export interface BatchResponse {
  results: BatchItemResult[];
}

/** At most this many items per batch request (docs/architecture.md). */
export const MAX_BATCH_ITEMS = 5000;

export interface StatusResponse {
  status: string;
  service?: string;
  version?: string;
  [key: string]: unknown;
}

/** The parts of the original's entity responses the agent and the demo read. */
export interface EntityResponse {
  uuid: string;
  [key: string]: unknown;
}
