// `Metadata/GridSquare_<id>.dm` (root GridSquareXml, Applications.Epu.Persistence): a ~2.8 KB stub for every square
// EPU knows, and the large version with every foil hole's target location for squares being collected.
import { INT32_COMPARER, MSCORLIB, NS, RefIds, commonId, dnDouble, dnSingle, fileStamp } from './dotnet.ts';
import type { Grid, Hole, Square } from '../model.ts';

const EPU_ASSEMBLY = 'Applications.Epu.Persistence, Version=3.9.1.8206, Culture=neutral, PublicKeyToken=null';
const PARTICLE_DICT = `System.Collections.Generic.Dictionary\`2[[System.Int32, ${MSCORLIB}],[Applications.Epu.Persistence.ParticleAcquisitionDataXml, ${EPU_ASSEMBLY}]]`;
const PARTICLE_PAIR = `System.Collections.Generic.KeyValuePair\`2[[System.Int32, ${MSCORLIB}],[Applications.Epu.Persistence.ParticleAcquisitionDataXml, ${EPU_ASSEMBLY}]][]`;

/** Windows path of the square's image folder, as EPU records it (`Z:\<visit>\<session>\Images-Disc1\GridSquare_<id>`). */
export function squareFolderWindows(storage: string, grid: Grid, sq: Square): string {
  return `${storage}\\${grid.dirName}\\Images-Disc1\\GridSquare_${sq.id}`;
}

function position(tag: string, x: number, y: number, z: number, prefix = 'a', a = 0, b = 0): string {
  return `<${tag} xmlns:${prefix}="${NS.shared}"><${prefix}:A>${dnDouble(a)}</${prefix}:A><${prefix}:B>${dnDouble(b)}</${prefix}:B><${prefix}:X>${dnDouble(x)}</${prefix}:X><${prefix}:Y>${dnDouble(y)}</${prefix}:Y><${prefix}:Z>${dnDouble(z)}</${prefix}:Z></${tag}>`;
}

function header(sq: Square, refs: RefIds, imageBase: string | null, storage: string, grid: Grid): string {
  const root = `<GridSquareXml z:Id="${refs.next()}" z:Type="Applications.Epu.Persistence.GridSquareXml" z:Assembly="${EPU_ASSEMBLY}" xmlns="${NS.epu}" xmlns:i="${NS.xsi}" xmlns:z="${NS.ser}">`;
  const imagePath =
    imageBase === null
      ? `<GridSquareImagePath i:nil="true"/>`
      : `<GridSquareImagePath z:Id="${refs.next()}">${squareFolderWindows(storage, grid, sq)}\\${imageBase}.tiff</GridSquareImagePath>`;
  let shape = `<GridSquareShape i:nil="true" xmlns:a="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types"/>`;
  if (imageBase !== null) {
    const d = `xmlns:b="${NS.drawing}"`;
    const pts: [number, number][] = [
      [300, 1530],
      [870, 0],
      [2490, 456],
      [2622, 660],
      [2154, 2040],
      [492, 1740],
    ];
    shape =
      `<GridSquareShape z:Id="${refs.next()}" xmlns:a="http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.Types">` +
      `<a:center ${d}><b:x>1440</b:x><b:y>1023</b:y></a:center><a:max ${d}><b:x>2622</b:x><b:y>2040</b:y></a:max><a:min ${d}><b:x>300</b:x><b:y>0</b:y></a:min>` +
      `<a:vertices z:Id="${refs.next()}" z:Size="${pts.length}" ${d}>${pts.map(([x, y]) => `<b:PointF><b:x>${x}</b:x><b:y>${y}</b:y></b:PointF>`).join('')}</a:vertices></GridSquareShape>`;
  }
  const image =
    imageBase === null
      ? `<Image i:nil="true" xmlns:a="${NS.common}"/><ImageFolderName i:nil="true"/>`
      : `<Image z:Id="${refs.next()}" xmlns:a="${NS.common}"><a:BaseFileName z:Id="${refs.next()}">${imageBase}</a:BaseFileName><a:FileFormat>Tiff</a:FileFormat></Image><ImageFolderName z:Id="${refs.next()}">Images-Disc1</ImageFolderName>`;
  return (
    root +
    commonId(sq.id) +
    `<AtlasNodeId>${sq.id}</AtlasNodeId><AutoEucentricPerformed>${sq.collected}</AutoEucentricPerformed><BalancedRank i:nil="true"/><BeamCurrent i:nil="true"/><CategoryName i:nil="true"/><CategoryNumber i:nil="true"/>` +
    imagePath +
    shape +
    `<HolePositionCorrection i:nil="true"/><HoleSpacing>${sq.collected ? dnDouble(4.1280022158274845e-6) : '0'}</HoleSpacing>` +
    image +
    `<IsRecommendedSelection i:nil="true"/><IsSmartFindHolesDecisionKnown>false</IsSmartFindHolesDecisionKnown><IsSmartHoleDecisionKnown>false</IsSmartHoleDecisionKnown><IsSmartIceThicknessDecisionKnown>false</IsSmartIceThicknessDecisionKnown>` +
    `<Order>${sq.order}</Order>` +
    position('Position', sq.stageX, sq.stageY, sq.stageZ) +
    `<RankInsideCategory i:nil="true"/><Rotation>${dnDouble(sq.rotation)}</Rotation><Selected>${sq.collected}</Selected><StartDateTime i:nil="true"/>`
  );
}

/** The ~2.8 KB stub EPU writes for every grid square when squares are selected on the atlas (no target locations yet). */
export function gridSquareStubXml(sq: Square, storage: string, grid: Grid): string {
  const refs = new RefIds();
  return (
    header(sq, refs, null, storage, grid) +
    `<State>${sq.collected ? 'Queued' : 'Defined'}</State>` +
    `<TargetLocations z:Id="${refs.next()}" z:Type="Applications.Epu.Persistence.FoilHoleCollectionXml" z:Assembly="${EPU_ASSEMBLY}">${commonId(sq.id + 1)}` +
    `<GridSquareId>${sq.id}</GridSquareId><TargetLocations i:nil="true" xmlns:a="${NS.arrays}"/><TargetLocationsEfficient z:Id="${refs.next()}" xmlns:a="${NS.arrays}">` +
    `<a:m_comparer z:Id="${refs.next()}" z:Type="${INT32_COMPARER}" z:Assembly="0"/><a:m_keyRehashCount>0</a:m_keyRehashCount>` +
    `<a:m_serializationArray z:Id="${refs.next()}" z:Size="0" xmlns:b="${NS.generic}"/><a:m_serializationCapacity>31</a:m_serializationCapacity>` +
    `<a:m_serializationConcurrencyLevel>12</a:m_serializationConcurrencyLevel></TargetLocationsEfficient></TargetLocations><Unusable>false</Unusable></GridSquareXml>`
  );
}

interface SharedRefs {
  comparer: number;
  emptyItems: number;
}

function holeXml(hole: Hole, sq: Square, refs: RefIds, shared: SharedRefs, storage: string, grid: Grid, index: number): string {
  const folder = squareFolderWindows(storage, grid, sq);
  const valueId = refs.next();
  const filter = `<FilterProperties z:Id="${refs.next()}"><PixelIntensityMean>${dnDouble(550 + hole.quality * 400)}</PixelIntensityMean><PixelIntensityStDev>${dnDouble(18 + (1 - hole.quality) * 12)}</PixelIntensityStDev></FilterProperties>`;
  let imagePart: string;
  if (hole.collected && hole.manifestTimes.length > 0) {
    const base = `FoilHole_${hole.id}_${fileStamp(hole.manifestTimes[0])}`;
    imagePart =
      `<FoilHoleImagePath z:Id="${refs.next()}">${folder}\\FoilHoles\\${base}.tiff</FoilHoleImagePath><GridSquareId>${sq.id}</GridSquareId>` +
      `<Image z:Id="${refs.next()}" xmlns:c="${NS.common}"><c:BaseFileName z:Id="${refs.next()}">${base}</c:BaseFileName><c:FileFormat>Tiff</c:FileFormat></Image><ImageFolderName z:Id="${refs.next()}">Images-Disc1</ImageFolderName>`;
  } else {
    imagePart = `<FoilHoleImagePath i:nil="true"/><GridSquareId>${sq.id}</GridSquareId><Image i:nil="true" xmlns:c="${NS.common}"/><ImageFolderName i:nil="true"/>`;
  }
  const dictId = refs.next();
  const versionId = refs.next();
  let comparer: string;
  if (shared.comparer === 0) {
    shared.comparer = refs.next();
    comparer = `<Comparer z:Id="${shared.comparer}" z:Type="${INT32_COMPARER}" z:Assembly="0" xmlns=""/>`;
  } else {
    comparer = `<Comparer z:Ref="${shared.comparer}" i:nil="true" xmlns=""/>`;
  }
  const hashId = refs.next();
  const pairsId = refs.next();
  const shots = hole.shots
    .map((shot, k) => {
      const acqId = hole.id * 16 + k + 1;
      return (
        `<b:KeyValuePairOfintParticleAcquisitionDataXmlBpEWF4JT><b:key>${acqId}</b:key><b:value z:Id="${refs.next()}" xmlns:c="${NS.epu}">${commonId(acqId)}` +
        `<c:DataAcquisitionAreaId>${shot.areaId}</c:DataAcquisitionAreaId><c:GridSquareId>${sq.id}</c:GridSquareId>` +
        `<c:Image z:Id="${refs.next()}" xmlns:d="${NS.common}"><d:BaseFileName z:Id="${refs.next()}">FoilHole_${hole.id}_Data_${shot.areaId}_${shot.n}_${fileStamp(shot.timeMs)}</d:BaseFileName><d:FileFormat>Tiff</d:FileFormat></c:Image>` +
        `<c:ImageAcquisitionSettingId>${shot.areaId + 2}</c:ImageAcquisitionSettingId><c:ImageFolderName z:Id="${refs.next()}">Images-Disc1</c:ImageFolderName><c:TargetLocationId>${hole.id}</c:TargetLocationId></b:value></b:KeyValuePairOfintParticleAcquisitionDataXmlBpEWF4JT>`
      );
    })
    .join('');
  let secondary: string;
  if (shared.emptyItems === 0) {
    const listId = refs.next();
    shared.emptyItems = refs.next();
    secondary = `<SecondaryTargetLocationdIds z:Id="${listId}"><a:_items z:Id="${shared.emptyItems}" z:Size="0"/><a:_size>0</a:_size><a:_version>0</a:_version></SecondaryTargetLocationdIds>`;
  } else {
    secondary = `<SecondaryTargetLocationdIds z:Id="${refs.next()}"><a:_items z:Ref="${shared.emptyItems}" i:nil="true"/><a:_size>0</a:_size><a:_version>0</a:_version></SecondaryTargetLocationdIds>`;
  }
  const d = `xmlns:c="${NS.drawing}"`;
  return (
    `<b:KeyValuePairOfintTargetLocationXmlBpEWF4JT><b:key>${hole.id}</b:key><b:value z:Id="${valueId}">${commonId(hole.id)}<BeamShiftId i:nil="true"/>` +
    position('CorrectedStagePosition', 0, 0, 0, 'c') +
    filter +
    imagePart +
    `<IsNearGridBar>${hole.nearGridBar}</IsNearGridBar><IsPositionCorrected>false</IsPositionCorrected><IsPositionRefined>false</IsPositionRefined><IsRecommendedSelection i:nil="true"/><Order>${index}</Order>` +
    `<ParticleAcquisitions z:Id="${dictId}" z:Type="${PARTICLE_DICT}" z:Assembly="0"><Version z:Id="${versionId}" z:Type="System.Int32" z:Assembly="0" xmlns="">${hole.shots.length}</Version>${comparer}` +
    `<HashSize z:Id="${hashId}" z:Type="System.Int32" z:Assembly="0" xmlns="">7</HashSize><KeyValuePairs z:Id="${pairsId}" z:Type="${PARTICLE_PAIR}" z:Assembly="0" z:Size="${hole.shots.length}" xmlns="">${shots}</KeyValuePairs></ParticleAcquisitions>` +
    `<PixelCenter ${d}><c:x>${hole.pixelX}</c:x><c:y>${hole.pixelY}</c:y></PixelCenter><PixelWidthHeight ${d}><c:height>${dnSingle(hole.diameter)}</c:height><c:width>${dnSingle(hole.diameter)}</c:width></PixelWidthHeight>` +
    `<PositionInCluster i:nil="true" ${d}/><PrimaryId>${hole.id}</PrimaryId><Quality>1</Quality><Rotation>0</Rotation>` +
    secondary +
    `<Selected>${hole.selected}</Selected><Shear>0</Shear><SmartIceThicknessResult i:nil="true"/>` +
    position('StagePosition', hole.stageX, hole.stageY, sq.stageZ, 'c', -0.00023951923150003149, 0.0167836925) +
    `<State>${hole.collected ? 'Completed' : 'Defined'}</State></b:value></b:KeyValuePairOfintTargetLocationXmlBpEWF4JT>`
  );
}

/** The large file: the square's image, shape and every foil hole EPU found, with what was acquired on each. */
export function gridSquareTargetsXml(sq: Square, storage: string, grid: Grid): string {
  const refs = new RefIds();
  const base = `GridSquare_${fileStamp(sq.imageTimeMs)}`;
  const parts: string[] = [header(sq, refs, base, storage, grid)];
  parts.push(
    `<State>Completed</State><TargetLocations z:Id="${refs.next()}" z:Type="Applications.Epu.Persistence.FoilHoleCollectionXml" z:Assembly="${EPU_ASSEMBLY}">${commonId(sq.collectionId)}` +
      `<GridSquareId>${sq.id}</GridSquareId><TargetLocations i:nil="true" xmlns:a="${NS.arrays}"/><TargetLocationsEfficient z:Id="${refs.next()}" xmlns:a="${NS.arrays}">` +
      `<a:m_comparer z:Id="${refs.next()}" z:Type="${INT32_COMPARER}" z:Assembly="0"/><a:m_keyRehashCount>0</a:m_keyRehashCount>` +
      `<a:m_serializationArray z:Id="${refs.next()}" z:Size="${sq.holes.length}" xmlns:b="${NS.generic}">`,
  );
  const shared: SharedRefs = { comparer: 0, emptyItems: 0 };
  sq.holes.forEach((hole, i) => parts.push(holeXml(hole, sq, refs, shared, storage, grid, i)));
  parts.push(
    `</a:m_serializationArray><a:m_serializationCapacity>${Math.max(31, sq.holes.length * 2 + 1)}</a:m_serializationCapacity><a:m_serializationConcurrencyLevel>12</a:m_serializationConcurrencyLevel>` +
      `</TargetLocationsEfficient></TargetLocations><Unusable>false</Unusable></GridSquareXml>`,
  );
  return parts.join('');
}
