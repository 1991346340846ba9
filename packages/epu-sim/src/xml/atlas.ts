// `Atlas.dm` (root AtlasSessionXml, …GridAtlas.Persistence): the atlas tiles and, per tile, every grid square found
// on it with its position on the atlas (`PositionOnTheAtlas`) and on the tile (`TilePositions`).
import { INT32_COMPARER, MSCORLIB, NS, RefIds, commonId, dnDateTime, dnDouble, dnSingle } from './dotnet.ts';
import { ATLAS, type AtlasTile, type Grid, type Square, type Visit } from '../model.ts';
import { storageFolder } from './session.ts';

const ATLAS_ASSEMBLY = 'Applications.SciencesAppsShared.GridAtlas.Persistence, Version=1.38.0.8206, Culture=neutral, PublicKeyToken=null';
const NODE_DICT = `System.Collections.Generic.Dictionary\`2[[System.Int32, ${MSCORLIB}],[Applications.SciencesAppsShared.GridAtlas.Persistence.NodeXml, ${ATLAS_ASSEMBLY}]]`;
const NODE_PAIRS = `System.Collections.Generic.KeyValuePair\`2[[System.Int32, ${MSCORLIB}],[Applications.SciencesAppsShared.GridAtlas.Persistence.NodeXml, ${ATLAS_ASSEMBLY}]][]`;
/** Tile images are acquired at a higher resolution than the stitched atlas. */
const TILE_SCALE = 3.4616;
const TILE_SLOTS = 64;

function stage(tag: string, prefix: string, x: number, y: number, z: number, a = 0, b = 0): string {
  return `<${tag} xmlns:${prefix}="${NS.shared}"><${prefix}:A>${dnDouble(a)}</${prefix}:A><${prefix}:B>${dnDouble(b)}</${prefix}:B><${prefix}:X>${dnDouble(x)}</${prefix}:X><${prefix}:Y>${dnDouble(y)}</${prefix}:Y><${prefix}:Z>${dnDouble(z)}</${prefix}:Z></${tag}>`;
}

function nodePosition(tag: string, sq: Square, cx: number, cy: number, w: number, h: number): string {
  const d = `xmlns:d="${NS.drawing}"`;
  return (
    `<${tag} xmlns:c="${NS.atlasDm}"><c:Center ${d}><d:x>${dnSingle(cx)}</d:x><d:y>${dnSingle(cy)}</d:y></c:Center>` +
    `<c:Physical ${d}><d:height>${dnSingle(sq.atlasHeight * ATLAS.pixelSize)}</d:height><d:width>${dnSingle(sq.atlasWidth * ATLAS.pixelSize)}</d:width><d:x>${dnSingle(sq.physicalX)}</d:x><d:y>${dnSingle(sq.physicalY)}</d:y></c:Physical>` +
    `<c:Quality>${dnDouble(0.3 + sq.quality)}</c:Quality><c:Rotation>${dnDouble(0.20647442842569014)}</c:Rotation><c:Shear>${dnDouble(-0.0013646155362180461)}</c:Shear>` +
    `<c:Size ${d}><d:height>${dnSingle(h)}</d:height><d:width>${dnSingle(w)}</d:width></c:Size></${tag}>`
  );
}

function nodeXml(sq: Square, tile: AtlasTile, refs: RefIds): string {
  const valueRef = refs.next();
  const featureRef = refs.next();
  const features = [0, 1, 2, 3, 4].map((k) => `<a:double>${dnDouble(Math.sin(sq.id * (k + 1)) * 1.2)}</a:double>`).join('');
  const listRef = refs.next();
  const itemsRef = refs.next();
  const posRef = refs.next();
  const tx = (sq.atlasX - tile.x) * TILE_SCALE;
  const ty = (sq.atlasY - tile.y) * TILE_SCALE;
  return (
    `<KeyValuePairOfintNodeXml30oatNZW xmlns="${NS.generic}"><key>${sq.id}</key><value z:Id="${valueRef}" xmlns:b="${NS.atlas}">${commonId(sq.id)}` +
    stage('b:AlignedStagePosition', 'c', sq.stageX - 1.3e-6, sq.stageY - 1.0e-6, 0) +
    `<b:Category>${1 + Math.floor(sq.quality * 3.99)}</b:Category><b:FeatureVector z:Id="${featureRef}" z:Size="5">${features}</b:FeatureVector>` +
    nodePosition('b:PositionOnTheAtlas', sq, sq.atlasX, sq.atlasY, sq.atlasWidth, sq.atlasHeight) +
    stage('b:StagePosition', 'c', sq.stageX, sq.stageY, 0) +
    `<b:TilePositions z:Id="${listRef}"><b:_items z:Id="${itemsRef}" z:Size="4"><b:TilePositionXml z:Id="${posRef}">${commonId(sq.tilePositionId)}` +
    nodePosition('b:NodePosition', sq, tx, ty, sq.atlasWidth * TILE_SCALE, sq.atlasHeight * TILE_SCALE) +
    `<b:TileId>${tile.id}</b:TileId></b:TilePositionXml><b:TilePositionXml i:nil="true"/><b:TilePositionXml i:nil="true"/><b:TilePositionXml i:nil="true"/></b:_items><b:_size>1</b:_size><b:_version>1</b:_version></b:TilePositions>` +
    `</value></KeyValuePairOfintNodeXml30oatNZW>`
  );
}

function tileXml(tile: AtlasTile, squares: Square[], grid: Grid, refs: RefIds, comparer: { ref: number }): string {
  const tileRef = refs.next();
  const nodesRef = refs.next();
  const versionRef = refs.next();
  let comparerXml: string;
  if (comparer.ref === 0) {
    comparer.ref = refs.next();
    comparerXml = `<Comparer z:Id="${comparer.ref}" z:Type="${INT32_COMPARER}" z:Assembly="0" xmlns=""/>`;
  } else {
    comparerXml = `<Comparer z:Ref="${comparer.ref}" i:nil="true" xmlns=""/>`;
  }
  const hashRef = refs.next();
  const pairsRef = refs.next();
  const mine = squares.filter((s) => s.tile === tile);
  const nodes = mine.map((sq) => nodeXml(sq, tile, refs)).join('');
  const imageRef = refs.next();
  const d = `xmlns:a="${NS.drawing}"`;
  return (
    `<TileXml z:Id="${tileRef}">${commonId(tile.id)}<AtlasPixelPosition ${d}><a:height>${tile.height}</a:height><a:width>${tile.width}</a:width><a:x>${tile.x}</a:x><a:y>${tile.y}</a:y></AtlasPixelPosition>` +
    `<Nodes z:Id="${nodesRef}" z:Type="${NODE_DICT}" z:Assembly="0" xmlns:a="${NS.arrays}"><Version z:Id="${versionRef}" z:Type="System.Int32" z:Assembly="0" xmlns="">${mine.length}</Version>${comparerXml}` +
    `<HashSize z:Id="${hashRef}" z:Type="System.Int32" z:Assembly="0" xmlns="">17</HashSize><KeyValuePairs z:Id="${pairsRef}" z:Type="${NODE_PAIRS}" z:Assembly="0" z:Size="${mine.length}" xmlns="">${nodes}</KeyValuePairs></Nodes>` +
    stage('StagePosition', 'a', tile.stageX, tile.stageY, 6.997763392800003e-5, -0.00023079365424003018, 0.0167836925) +
    `<TileImageReference z:Id="${imageRef}" xmlns:a="${NS.common}"><a:BaseFileName z:Id="${refs.next()}">${tileBaseName(tile, grid)}</a:BaseFileName><a:FileFormat>Mrc</a:FileFormat></TileImageReference></TileXml>`
  );
}

export function tileBaseName(tile: AtlasTile, grid: Grid): string {
  return `Tile_${tile.id}_${tile.index}_${grid.atlasImageId}`;
}

export function atlasXml(visit: Visit, grid: Grid): string {
  const refs = new RefIds();
  const r = (): number => refs.next();
  const out: string[] = [];
  out.push(
    `<AtlasSessionXml z:Id="${r()}" z:Type="Applications.SciencesAppsShared.GridAtlas.Persistence.AtlasSessionXml" z:Assembly="${ATLAS_ASSEMBLY}" xmlns="${NS.atlas}" xmlns:i="${NS.xsi}" xmlns:z="${NS.ser}">` +
      commonId(grid.atlasId) +
      `<Atlas z:Id="${r()}">${commonId(grid.atlasId)}<AcquiredWithImageBeamShift>false</AcquiredWithImageBeamShift><AcquisitionDateTime>${dnDateTime(grid.atlasTimeMs + 40 * 60_000, 60, 8800)}</AcquisitionDateTime>`,
  );
  const acquisition = r();
  out.push(
    `<AcquisitionSettings z:Id="${acquisition}" xmlns:a="${NS.shared}"><a:acquisitionDateTime>${dnDateTime(grid.atlasTimeMs, 60, 5873)}</a:acquisitionDateTime>` +
      `<a:analyticalDetectors z:Id="${r()}"><a:_items z:Id="${r()}" z:Size="0"/><a:_size>0</a:_size><a:_version>0</a:_version></a:analyticalDetectors>` +
      `<a:camera z:Id="${r()}"><a:Binning xmlns:b="${NS.drawing}"><b:x>2</b:x><b:y>2</b:y></a:Binning><a:CameraLocation>EnergyFilter</a:CameraLocation><a:DarkGainCorrection>None</a:DarkGainCorrection>` +
      `<a:ExposureTime>1</a:ExposureTime><a:Inserted>false</a:Inserted><a:Name z:Id="${r()}">EF-CCD</a:Name><a:PreExposurePauseTime>0</a:PreExposurePauseTime><a:PreExposureSupported>false</a:PreExposureSupported>` +
      `<a:PreExposureTime>0</a:PreExposureTime><a:ReadoutArea xmlns:b="${NS.drawing}"><b:height>4092</b:height><b:width>5760</b:width><b:x>0</b:x><b:y>0</b:y></a:ReadoutArea><a:Shutter>PreSpecimen</a:Shutter></a:camera>` +
      `<a:plateCamera z:Id="${r()}"><a:ExposureTime>0</a:ExposureTime><a:Use>false</a:Use></a:plateCamera></AcquisitionSettings>` +
      `<AlignmentTileId>${grid.tiles[Math.floor(grid.tiles.length / 2)].id}</AlignmentTileId>`,
  );
  const optics = r();
  out.push(
    `<AtlasAlignmentTransformation z:Id="${r()}" z:Type="Applications.SciencesAppsShared.Types.AtlasAlignment.AlignmentTransformation" z:Assembly="Applications.SciencesAppsShared.Types, Version=1.38.0.8206, Culture=neutral, PublicKeyToken=null">` +
      `<Acquisition z:Ref="${acquisition}" i:nil="true" xmlns="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types.AtlasAlignment" xmlns:a="${NS.shared}"/>` +
      `<Optics z:Id="${optics}" xmlns="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types.AtlasAlignment" xmlns:a="${NS.shared}"><a:BeamDiameter>0.0009</a:BeamDiameter><a:Defocus>-0.001</a:Defocus>` +
      `<a:EFTEMOn>true</a:EFTEMOn><a:ObjectiveLensMode>LM</a:ObjectiveLensMode><a:ProbeMode>MicroProbe</a:ProbeMode><a:SpotIndex>8</a:SpotIndex><a:TemMagnification><a:NominalMagnification>155</a:NominalMagnification></a:TemMagnification></Optics>` +
      `<Rotation xmlns="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types.AtlasAlignment">${dnDouble(-0.12280923801222789)}</Rotation>` +
      `<TimeStamp xmlns="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types.AtlasAlignment">${dnDateTime(grid.atlasTimeMs + 3600_000, 60, 3916)}</TimeStamp>` +
      `<Translation xmlns="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types.AtlasAlignment" xmlns:a="${NS.drawing}"><a:height>1.66927057E-05</a:height><a:width>7.14462E-07</a:width></Translation></AtlasAlignmentTransformation>`,
  );
  out.push(
    `<AtlasImageReference z:Id="${r()}" xmlns:a="${NS.common}"><a:BaseFileName z:Id="${r()}">Atlas_${grid.atlasImageId}</a:BaseFileName><a:FileFormat>Mrc</a:FileFormat></AtlasImageReference>` +
      `<CryoboxReferenceVector xmlns:a="${NS.drawing}"><a:x>0</a:x><a:y>0</a:y></CryoboxReferenceVector><HighLmAlignmentImageReference i:nil="true" xmlns:a="${NS.common}"/>` +
      `<IsStem>false</IsStem><Name i:nil="true"/><NrTiles i:nil="true"/><OpticsSettings z:Ref="${optics}" i:nil="true" xmlns:a="${NS.shared}"/>` +
      `<SelectedCategories z:Id="${r()}" xmlns:a="${NS.arrays}"><a:_items z:Id="${r()}" z:Size="8"><a:int>0</a:int><a:int>4</a:int><a:int>3</a:int><a:int>2</a:int><a:int>1</a:int><a:int>0</a:int><a:int>0</a:int><a:int>0</a:int></a:_items><a:_size>5</a:_size><a:_version>5</a:_version></SelectedCategories>` +
      `<Session z:Ref="1" i:nil="true"/><StartPosition>CloseToCenter</StartPosition><TilesEfficient z:Id="${r()}"><_items z:Id="${r()}" z:Size="${TILE_SLOTS}">`,
  );
  const comparer = { ref: 0 };
  for (const tile of grid.tiles) out.push(tileXml(tile, grid.squares, grid, refs, comparer));
  out.push(`<TileXml i:nil="true"/>`.repeat(Math.max(0, TILE_SLOTS - grid.tiles.length)));
  out.push(
    `</_items><_size>${grid.tiles.length}</_size><_version>${grid.tiles.length + 1}</_version></TilesEfficient></Atlas>` +
      `<Description z:Id="${r()}">Atlas for autoloader slot ${grid.slot}</Description><ImageFileFormat>Mrc</ImageFileFormat><Name z:Id="${r()}">Atlas</Name>` +
      `<StartDateTime>${dnDateTime(visit.atlasStartMs, 60, 6293)}</StartDateTime>` +
      `<StorageFolder z:Id="${r()}">${storageFolder(visit)}\\atlas\\${visit.atlasDirName}\\Sample${grid.slot}</StorageFolder>` +
      `<Version z:Id="${r()}" xmlns:a="http://schemas.datacontract.org/2004/07/System"><a:_Build>0</a:_Build><a:_Major>3</a:_Major><a:_Minor>0</a:_Minor><a:_Revision>-1</a:_Revision></Version></AtlasSessionXml>`,
  );
  return out.join('');
}
