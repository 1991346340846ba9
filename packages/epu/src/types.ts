/**
 * Records parsed from EPU files. Field names and units are the original agent's: metres for
 * stage positions, defocus and pixel sizes, pixels for image coordinates, nanometres for atlas `physical`.
 * Absent values are `null`. Date-times are ISO 8601 strings exactly as EPU wrote them (offset preserved).
 * Pairs (`position`, `size`, …) are `[x, y]` / `[width, height]` arrays, as the original serialises its tuples.
 */

export interface MicroscopeData {
  instrument_model: string | null;
  instrument_id: string | null;
  computer_name: string | null;
}

/** `EpuSession.dm` → the original's AcquisitionData. */
export interface EpuSessionRecord {
  /** EPU session id (`Id`), the acquisition's natural id. */
  id: string;
  name: string;
  start_time: string | null;
  /** AtlasId of the first sample relative to the storage folder, `/`-separated (original behaviour). */
  atlas_path: string | null;
  /** AtlasId as written (Windows path). */
  atlas_path_raw: string | null;
  /** First storage folder mapped to a cygwin path (`Z:\nt1` → `/cygdrive/z/nt1`). */
  storage_path: string | null;
  /** First storage folder as written. */
  storage_path_raw: string | null;
  clustering_mode: string | null;
  /** Kept as text, like the original (`0`, `1.2E-05`). */
  clustering_radius: string | null;
  /** Normally absent from EpuSession.dm; the directory parse fills it from image manifests. */
  instrument: MicroscopeData | null;
}

export type IntPair = [number, number];
export type FloatPair = [number, number];

/** A grid square's footprint on one atlas tile. */
export interface AtlasTileGridSquarePosition {
  position: IntPair;
  size: IntPair;
}

export interface AtlasTileRecord {
  id: string;
  tile_position: { position: IntPair | null; size: IntPair | null };
  file_format: string | null;
  base_filename: string | null;
  /** grid square id → its positions on this tile. */
  gridsquare_positions: Record<string, AtlasTileGridSquarePosition[]>;
}

/** A grid square on the whole atlas (`PositionOnTheAtlas` of its node). */
export interface GridSquarePosition {
  center: IntPair | null;
  /** Physical x, y in nanometres (file: metres). */
  physical: FloatPair | null;
  size: IntPair | null;
  rotation: number | null;
  /** Additive: the node's `Category` (int) and `PositionOnTheAtlas/Quality`, for the decision engine. */
  category: number | null;
  quality: number | null;
}

/** `Atlas.dm` → AtlasData (without the original's "last match" bugs: `id` is the atlas session's own Id). */
export interface AtlasRecord {
  id: string;
  acquisition_date: string;
  storage_folder: string;
  description: string | null;
  name: string;
  tiles: AtlasTileRecord[];
  /** grid square id → position on the atlas (a square on several tiles: the last tile wins, as in the original). */
  gridsquare_positions: Record<string, GridSquarePosition>;
}

export interface FoilHolePosition {
  x_location: number;
  y_location: number;
  x_stage_position: number | null;
  y_stage_position: number | null;
  diameter: number;
  is_near_grid_bar: boolean;
  /** Additive: the target location's `Selected`, `State`, `Quality`. */
  selected: boolean | null;
  state: string | null;
  quality: number | null;
}

/** `Metadata/GridSquare_<id>.dm` → GridSquareMetadata. */
export interface GridSquareMetadataRecord {
  /** From the file name `GridSquare_<id>.dm` (null when the name does not have that form). */
  gridsquare_id: string | null;
  atlas_node_id: number;
  stage_position: { x: number | null; y: number | null; z: number | null } | null;
  state: string | null;
  rotation: number | null;
  /** GridSquareImagePath mapped to a cygwin path. */
  image_path: string | null;
  image_path_raw: string | null;
  selected: boolean;
  unusable: boolean;
  /** foil hole id → position (holes without a pixel centre or width are skipped, as in the original). */
  foilhole_positions: Record<string, FoilHolePosition>;
}

/** `Images-Disc<N>/GridSquare_<id>/GridSquare_<date>_<time>.xml` → GridSquareManifest. */
export interface GridSquareManifestRecord {
  /** From the directory `GridSquare_<id>`. */
  gridsquare_id: string | null;
  acquisition_datetime: string;
  defocus: number | null;
  magnification: number | null;
  pixel_size: number | null;
  detector_name: string;
  applied_defocus: number | null;
  /** The readout area in pixels (the foil hole positions of the square are pixels of this image). */
  image_size_x: number | null;
  image_size_y: number | null;
  /** The manifest's directory. */
  data_dir: string;
  instrument: MicroscopeData | null;
}

/** `…/FoilHoles/FoilHole_<id>_<date>_<time>.xml` → FoilHoleData (the manifest part). */
export interface FoilHoleManifestRecord {
  /** From the file name. */
  id: string | null;
  /** From the directory `GridSquare_<id>`. */
  gridsquare_id: string | null;
  center_x: number | null;
  center_y: number | null;
  quality: number | null;
  rotation: number | null;
  size_width: number | null;
  size_height: number | null;
  /** Additive: the image's acquisition time and the `<date>_<time>` of the file name (latest manifest wins). */
  acquisition_datetime: string | null;
  file_timestamp: string | null;
  instrument: MicroscopeData | null;
}

/** `…/Data/FoilHole_<fh>_Data_<loc>_<n>_<date>_<time>.xml` → MicrographManifest plus the ids from the name. */
export interface MicrographManifestRecord {
  unique_id: string;
  acquisition_datetime: string;
  defocus: number | null;
  detector_name: string;
  energy_filter: boolean;
  phase_plate: boolean;
  image_size_x: number | null;
  image_size_y: number | null;
  binning_x: number;
  binning_y: number;
  /** From the file name (group 1, 2) and the directory `GridSquare_<id>`. */
  foilhole_id: string | null;
  location_id: string | null;
  gridsquare_id: string | null;
  instrument: MicroscopeData | null;
}
