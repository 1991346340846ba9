/** `Atlas.dm` (root `AtlasSessionXml`) → AtlasRecord: atlas, tiles, grid-square positions. */
import { compileSchema, extract, type Rule } from '../xml/extract.ts';
import { float, int, isoDateTime, required, str } from '../xml/values.ts';
import type { AtlasRecord, AtlasTileRecord, GridSquarePosition, IntPair } from '../types.ts';

interface Xy {
  x: number | null;
  y: number | null;
}
interface Wh {
  width: number | null;
  height: number | null;
}
interface Tile {
  id: string | null;
  pixel: Xy & Wh;
  fileFormat: string | null;
  baseFilename: string | null;
  gridsquarePositions: Record<string, { position: IntPair; size: IntPair }[]>;
}
interface Node {
  key: string | null;
  category: number | null;
  center: Xy;
  physical: Xy;
  size: Wh;
  rotation: number | null;
  quality: number | null;
  onAtlas: boolean;
  /** This node's positions on the tile being parsed. */
  onTile: { position: IntPair; size: IntPair }[];
}
interface TilePosition {
  tileId: string | null;
  hasNodePosition: boolean;
  center: Xy;
  size: Wh;
}
interface State {
  path: string;
  id: string | null;
  name: string | null;
  atlasName: string | null;
  description: string | null;
  storageFolder: string | null;
  acquisitionDate: string | null;
  tiles: AtlasTileRecord[];
  positions: Record<string, GridSquarePosition>;
  tile: Tile | null;
  nodesSeen: number;
  node: Node | null;
  tilePosition: TilePosition | null;
}

const ROOT = 'ATLAS:AtlasSessionXml';
const TILE = `${ROOT}/ATLAS:Atlas/ATLAS:TilesEfficient/ATLAS:_items/ATLAS:TileXml`;
const PAIR = `${TILE}/ATLAS:Nodes/NONE:KeyValuePairs/GEN:KeyValuePairOfintNodeXml*`;
const ON_ATLAS = `${PAIR}/GEN:value/ATLAS:PositionOnTheAtlas`;
const TILE_POSITION = `${PAIR}/GEN:value/ATLAS:TilePositions/ATLAS:_items/ATLAS:TilePositionXml`;

const xy = (): Xy => ({ x: null, y: null });
const wh = (): Wh => ({ width: null, height: null });
const pair = (a: number | null, b: number | null): IntPair | null => (a === null || b === null ? null : [a, b]);

/** Rules for `<prefix>/DRAW:x|y|width|height` into the object `target(state)` picks. */
function drawingRules(
  prefix: string,
  fields: readonly ('x' | 'y' | 'width' | 'height')[],
  target: (s: State) => Partial<Xy & Wh> | null | undefined,
  name: string,
): Record<string, Rule<State>> {
  const rules: Record<string, Rule<State>> = {};
  for (const f of fields) {
    rules[`${prefix}/DRAW:${f}`] = {
      text: (s, t) => {
        const o = target(s);
        if (o) o[f] = float(s.path, `${name}.${f}`, t);
      },
    };
  }
  return rules;
}

const schema = compileSchema<State>({
  [`${ROOT}/COMMON:Id`]: { text: (s, t) => void (s.id = str(t)) },
  [`${ROOT}/ATLAS:Name`]: { text: (s, t) => void (s.name = str(t)) },
  [`${ROOT}/ATLAS:Description`]: { text: (s, t) => void (s.description = str(t)) },
  [`${ROOT}/ATLAS:StorageFolder`]: { text: (s, t) => void (s.storageFolder = str(t)) },
  [`${ROOT}/ATLAS:Atlas/ATLAS:Name`]: { text: (s, t) => void (s.atlasName = str(t)) },
  [`${ROOT}/ATLAS:Atlas/ATLAS:AcquisitionDateTime`]: {
    text: (s, t) => void (s.acquisitionDate = isoDateTime(s.path, 'Atlas/AcquisitionDateTime', t)),
  },

  [TILE]: {
    open: (s, nil) => {
      s.tile = nil ? null : { id: null, pixel: { ...xy(), ...wh() }, fileFormat: null, baseFilename: null, gridsquarePositions: {} };
      s.nodesSeen = 0;
    },
    close: (s) => {
      const t = s.tile;
      if (t?.id) {
        s.tiles.push({
          id: t.id,
          tile_position: { position: trunc(pair(t.pixel.x, t.pixel.y)), size: trunc(pair(t.pixel.width, t.pixel.height)) },
          file_format: t.fileFormat,
          base_filename: t.baseFilename,
          gridsquare_positions: t.gridsquarePositions,
        });
      }
      s.tile = null;
    },
  },
  [`${TILE}/COMMON:Id`]: { text: (s, t) => void (s.tile && (s.tile.id = str(t))) },
  ...drawingRules(`${TILE}/ATLAS:AtlasPixelPosition`, ['x', 'y', 'width', 'height'], (s) => s.tile?.pixel, 'AtlasPixelPosition'),
  [`${TILE}/ATLAS:TileImageReference/COMMON:FileFormat`]: { text: (s, t) => void (s.tile && (s.tile.fileFormat = str(t))) },
  [`${TILE}/ATLAS:TileImageReference/COMMON:BaseFileName`]: { text: (s, t) => void (s.tile && (s.tile.baseFilename = str(t))) },
  // Only the first `Nodes` of a tile, as the original.
  [`${TILE}/ATLAS:Nodes`]: { open: (s) => void s.nodesSeen++ },

  [PAIR]: {
    open: (s) => {
      s.node =
        s.tile && s.nodesSeen === 1
          ? {
              key: null,
              category: null,
              center: xy(),
              physical: xy(),
              size: wh(),
              rotation: null,
              quality: null,
              onAtlas: false,
              onTile: [],
            }
          : null;
    },
    close: (s) => {
      const n = s.node;
      s.node = null;
      if (!n?.key || !s.tile) return;
      if (n.onAtlas) {
        s.positions[n.key] = {
          center: trunc(pair(n.center.x, n.center.y)),
          physical: n.physical.x === null || n.physical.y === null ? null : [n.physical.x * 1e9, n.physical.y * 1e9],
          size: trunc(pair(n.size.width, n.size.height)),
          rotation: n.rotation,
          category: n.category,
          quality: n.quality,
        };
      }
      if (n.onTile.length > 0) (s.tile.gridsquarePositions[n.key] ??= []).push(...n.onTile);
    },
  },
  [`${PAIR}/GEN:key`]: { text: (s, t) => void (s.node && (s.node.key = str(t))) },
  [`${PAIR}/GEN:value/ATLAS:Category`]: { text: (s, t) => void (s.node && (s.node.category = int(s.path, 'Category', t))) },
  [ON_ATLAS]: { open: (s, nil) => void (s.node && !nil && (s.node.onAtlas = true)) },
  ...drawingRules(`${ON_ATLAS}/ATLASDM:Center`, ['x', 'y'], (s) => s.node?.center, 'PositionOnTheAtlas/Center'),
  ...drawingRules(`${ON_ATLAS}/ATLASDM:Physical`, ['x', 'y'], (s) => s.node?.physical, 'PositionOnTheAtlas/Physical'),
  ...drawingRules(`${ON_ATLAS}/ATLASDM:Size`, ['width', 'height'], (s) => s.node?.size, 'PositionOnTheAtlas/Size'),
  [`${ON_ATLAS}/ATLASDM:Rotation`]: {
    text: (s, t) => void (s.node && (s.node.rotation = float(s.path, 'PositionOnTheAtlas/Rotation', t))),
  },
  [`${ON_ATLAS}/ATLASDM:Quality`]: { text: (s, t) => void (s.node && (s.node.quality = float(s.path, 'PositionOnTheAtlas/Quality', t))) },

  [TILE_POSITION]: {
    open: (s, nil) => void (s.tilePosition = s.node && !nil ? { tileId: null, hasNodePosition: false, center: xy(), size: wh() } : null),
    close: (s) => {
      const tp = s.tilePosition;
      s.tilePosition = null;
      // A square's node lists its positions on every tile it touches; keep the one on this tile.
      if (!tp || !s.node || !s.tile || !tp.hasNodePosition || tp.tileId !== s.tile.id) return;
      const position = trunc(pair(tp.center.x, tp.center.y));
      const size = trunc(pair(tp.size.width, tp.size.height));
      if (position && size) s.node.onTile.push({ position, size });
    },
  },
  [`${TILE_POSITION}/ATLAS:TileId`]: { text: (s, t) => void (s.tilePosition && (s.tilePosition.tileId = str(t))) },
  [`${TILE_POSITION}/ATLAS:NodePosition`]: { open: (s, nil) => void (s.tilePosition && !nil && (s.tilePosition.hasNodePosition = true)) },
  ...drawingRules(`${TILE_POSITION}/ATLAS:NodePosition/ATLASDM:Center`, ['x', 'y'], (s) => s.tilePosition?.center, 'NodePosition/Center'),
  ...drawingRules(
    `${TILE_POSITION}/ATLAS:NodePosition/ATLASDM:Size`,
    ['width', 'height'],
    (s) => s.tilePosition?.size,
    'NodePosition/Size',
  ),
});

function trunc(p: IntPair | null): IntPair | null {
  return p === null ? null : [Math.trunc(p[0]), Math.trunc(p[1])];
}

export function parseAtlas(xml: string | Buffer, path: string): AtlasRecord {
  const s = extract(xml, path, schema, {
    path,
    id: null,
    name: null,
    atlasName: null,
    description: null,
    storageFolder: null,
    acquisitionDate: null,
    tiles: [],
    positions: {},
    tile: null,
    nodesSeen: 0,
    node: null,
    tilePosition: null,
  });
  return {
    id: required(path, 'Id', s.id),
    acquisition_date: required(path, 'Atlas/AcquisitionDateTime', s.acquisitionDate),
    storage_folder: required(path, 'StorageFolder', s.storageFolder),
    description: s.description,
    name: required(path, 'Name', s.name ?? s.atlasName),
    tiles: s.tiles,
    gridsquare_positions: s.positions,
  };
}
