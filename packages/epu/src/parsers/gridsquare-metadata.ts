/** `Metadata/GridSquare_<id>.dm` (root `GridSquareXml`) → GridSquareMetadataRecord with every foil-hole position (§2.6). */
import { compileSchema, extract } from '../xml/extract.ts';
import { bool, float, int, str } from '../xml/values.ts';
import { toCygwinPath } from '../windows-paths.ts';
import type { FoilHolePosition, GridSquareMetadataRecord } from '../types.ts';

interface Hole {
  key: string | null;
  nearGridBar: boolean;
  stageX: number | null;
  stageY: number | null;
  pixelX: number | null;
  pixelY: number | null;
  width: number | null;
  selected: boolean | null;
  state: string | null;
  quality: number | null;
}
interface State {
  path: string;
  x: number | null;
  y: number | null;
  z: number | null;
  hasPosition: boolean;
  imagePath: string | null;
  selected: boolean;
  unusable: boolean;
  atlasNodeId: number | null;
  state: string | null;
  rotation: number | null;
  holes: Record<string, FoilHolePosition>;
  hole: Hole | null;
}

const ROOT = 'EPU:GridSquareXml';
const HOLE = `${ROOT}/EPU:TargetLocations/EPU:TargetLocationsEfficient/ARR:m_serializationArray/GEN:KeyValuePairOfintTargetLocation*`;
const VALUE = `${HOLE}/GEN:value`;

const schema = compileSchema<State>({
  [`${ROOT}/EPU:Position`]: { open: (s, nil) => void (s.hasPosition = !nil) },
  [`${ROOT}/EPU:Position/SHARED:X`]: { text: (s, t) => void (s.x = float(s.path, 'Position/X', t)) },
  [`${ROOT}/EPU:Position/SHARED:Y`]: { text: (s, t) => void (s.y = float(s.path, 'Position/Y', t)) },
  [`${ROOT}/EPU:Position/SHARED:Z`]: { text: (s, t) => void (s.z = float(s.path, 'Position/Z', t)) },
  [`${ROOT}/EPU:GridSquareImagePath`]: { text: (s, t) => void (s.imagePath = str(t)) },
  [`${ROOT}/EPU:Selected`]: { text: (s, t) => void (s.selected = bool(t)) },
  [`${ROOT}/EPU:Unusable`]: { text: (s, t) => void (s.unusable = bool(t)) },
  [`${ROOT}/EPU:AtlasNodeId`]: { text: (s, t) => void (s.atlasNodeId = int(s.path, 'AtlasNodeId', t)) },
  [`${ROOT}/EPU:State`]: { text: (s, t) => void (s.state = str(t)) },
  [`${ROOT}/EPU:Rotation`]: { text: (s, t) => void (s.rotation = float(s.path, 'Rotation', t)) },

  [HOLE]: {
    open: (s) => {
      s.hole = {
        key: null,
        nearGridBar: false,
        stageX: null,
        stageY: null,
        pixelX: null,
        pixelY: null,
        width: null,
        selected: null,
        state: null,
        quality: null,
      };
    },
    close: (s) => {
      const h = s.hole;
      s.hole = null;
      // Like the original: a target location without pixel centre or width is skipped.
      if (!h?.key || h.pixelX === null || h.pixelY === null || h.width === null) return;
      s.holes[h.key] = {
        x_location: Math.trunc(h.pixelX),
        y_location: Math.trunc(h.pixelY),
        x_stage_position: h.stageX,
        y_stage_position: h.stageY,
        diameter: Math.trunc(h.width),
        is_near_grid_bar: h.nearGridBar,
        selected: h.selected,
        state: h.state,
        quality: h.quality,
      };
    },
  },
  [`${HOLE}/GEN:key`]: { text: (s, t) => void (s.hole && (s.hole.key = str(t))) },
  [`${VALUE}/EPU:IsNearGridBar`]: { text: (s, t) => void (s.hole && (s.hole.nearGridBar = bool(t))) },
  [`${VALUE}/EPU:StagePosition/SHARED:X`]: { text: (s, t) => void (s.hole && (s.hole.stageX = float(s.path, 'StagePosition/X', t))) },
  [`${VALUE}/EPU:StagePosition/SHARED:Y`]: { text: (s, t) => void (s.hole && (s.hole.stageY = float(s.path, 'StagePosition/Y', t))) },
  [`${VALUE}/EPU:PixelCenter/DRAW:x`]: { text: (s, t) => void (s.hole && (s.hole.pixelX = float(s.path, 'PixelCenter/x', t))) },
  [`${VALUE}/EPU:PixelCenter/DRAW:y`]: { text: (s, t) => void (s.hole && (s.hole.pixelY = float(s.path, 'PixelCenter/y', t))) },
  [`${VALUE}/EPU:PixelWidthHeight/DRAW:width`]: {
    text: (s, t) => void (s.hole && (s.hole.width = float(s.path, 'PixelWidthHeight/width', t))),
  },
  [`${VALUE}/EPU:Selected`]: { text: (s, t) => void (s.hole && (s.hole.selected = t === '' ? null : bool(t))) },
  [`${VALUE}/EPU:State`]: { text: (s, t) => void (s.hole && (s.hole.state = str(t))) },
  [`${VALUE}/EPU:Quality`]: { text: (s, t) => void (s.hole && (s.hole.quality = float(s.path, 'Quality', t))) },
});

export function parseGridSquareMetadata(xml: string | Buffer, path: string): GridSquareMetadataRecord {
  const s = extract(xml, path, schema, {
    path,
    x: null,
    y: null,
    z: null,
    hasPosition: false,
    imagePath: null,
    selected: false,
    unusable: false,
    atlasNodeId: null,
    state: null,
    rotation: null,
    holes: {},
    hole: null,
  });
  return {
    gridsquare_id: /GridSquare_(\d+)\.dm(?:\.xml)?$/.exec(path)?.[1] ?? null,
    atlas_node_id: s.atlasNodeId ?? 0,
    stage_position: s.hasPosition ? { x: s.x, y: s.y, z: s.z } : null,
    state: s.state,
    rotation: s.rotation,
    image_path: s.imagePath === null ? null : toCygwinPath(s.imagePath),
    image_path_raw: s.imagePath,
    selected: s.selected,
    unusable: s.unusable,
    foilhole_positions: s.holes,
  };
}
