/**
 * The three `MicroscopeImage` manifests EPU writes under `Images-Disc<N>/GridSquare_<id>/`:
 * the grid square image, foil hole images (`FoilHoles/`) and exposures (`Data/`). One pass extracts what any of
 * them needs; each public parser then checks its required fields and adds the ids from the path.
 */
import { compileSchema, extract } from '../xml/extract.ts';
import { bool, detach, float, int, isoDateTime, required, str } from '../xml/values.ts';
import { gridsquareIdFromDir, toPosixPath } from '../classify.ts';
import type { FoilHoleManifestRecord, GridSquareManifestRecord, MicrographManifestRecord, MicroscopeData } from '../types.ts';

interface State {
  path: string;
  uniqueId: string | null;
  acquisitionDateTime: string | null;
  defocus: number | null;
  magnification: number | null;
  pixelSize: number | null;
  energyFilter: string | null;
  binningX: number | null;
  binningY: number | null;
  readoutWidth: number | null;
  readoutHeight: number | null;
  instrumentModel: string | null;
  instrumentId: string | null;
  computerName: string | null;
  /** `CustomData` entries with a plain text value. */
  custom: Map<string, string>;
  customKey: string | null;
  hole: {
    centerX: number | null;
    centerY: number | null;
    quality: number | null;
    rotation: number | null;
    width: number | null;
    height: number | null;
  };
}

const ROOT = 'SHARED:MicroscopeImage';
const MD = `${ROOT}/SHARED:microscopeData`;
const ENTRY = `${ROOT}/SHARED:CustomData/ARR:KeyValueOfstringanyType`;
const HOLE_RESULT = `${ENTRY}/ARR:Value`;
const isHoleResult = (s: State): boolean => s.customKey === 'FindFoilHoleCenterResults';

const schema = compileSchema<State>({
  [`${ROOT}/SHARED:uniqueID`]: { text: (s, t) => void (s.uniqueId = str(t)) },
  [ENTRY]: { open: (s) => void (s.customKey = null) },
  [`${ENTRY}/ARR:Key`]: { text: (s, t) => void (s.customKey = t) },
  [`${ENTRY}/ARR:Value`]: { text: (s, t) => void (s.customKey !== null && t !== '' && s.custom.set(s.customKey, t)) },
  [`${HOLE_RESULT}/TYPES:Center/DRAW:x`]: {
    text: (s, t) => void (isHoleResult(s) && (s.hole.centerX = float(s.path, 'FindFoilHoleCenterResults/Center/x', t))),
  },
  [`${HOLE_RESULT}/TYPES:Center/DRAW:y`]: {
    text: (s, t) => void (isHoleResult(s) && (s.hole.centerY = float(s.path, 'FindFoilHoleCenterResults/Center/y', t))),
  },
  [`${HOLE_RESULT}/TYPES:Quality`]: {
    text: (s, t) => void (isHoleResult(s) && (s.hole.quality = float(s.path, 'FindFoilHoleCenterResults/Quality', t))),
  },
  [`${HOLE_RESULT}/TYPES:Rotation`]: {
    text: (s, t) => void (isHoleResult(s) && (s.hole.rotation = float(s.path, 'FindFoilHoleCenterResults/Rotation', t))),
  },
  [`${HOLE_RESULT}/TYPES:Size/DRAW:width`]: {
    text: (s, t) => void (isHoleResult(s) && (s.hole.width = float(s.path, 'FindFoilHoleCenterResults/Size/width', t))),
  },
  [`${HOLE_RESULT}/TYPES:Size/DRAW:height`]: {
    text: (s, t) => void (isHoleResult(s) && (s.hole.height = float(s.path, 'FindFoilHoleCenterResults/Size/height', t))),
  },
  [`${ROOT}/SHARED:SpatialScale/SHARED:pixelSize/SHARED:x/SHARED:numericValue`]: {
    text: (s, t) => void (s.pixelSize = float(s.path, 'pixelSize/x', t)),
  },
  [`${MD}/SHARED:acquisition/SHARED:acquisitionDateTime`]: {
    text: (s, t) => void (s.acquisitionDateTime = isoDateTime(s.path, 'acquisitionDateTime', t)),
  },
  [`${MD}/SHARED:acquisition/SHARED:camera/SHARED:Binning/DRAW:x`]: { text: (s, t) => void (s.binningX = int(s.path, 'Binning/x', t)) },
  [`${MD}/SHARED:acquisition/SHARED:camera/SHARED:Binning/DRAW:y`]: { text: (s, t) => void (s.binningY = int(s.path, 'Binning/y', t)) },
  [`${MD}/SHARED:acquisition/SHARED:camera/SHARED:ReadoutArea/DRAW:width`]: {
    text: (s, t) => void (s.readoutWidth = int(s.path, 'ReadoutArea/width', t)),
  },
  [`${MD}/SHARED:acquisition/SHARED:camera/SHARED:ReadoutArea/DRAW:height`]: {
    text: (s, t) => void (s.readoutHeight = int(s.path, 'ReadoutArea/height', t)),
  },
  [`${MD}/SHARED:optics/SHARED:Defocus`]: { text: (s, t) => void (s.defocus = float(s.path, 'Defocus', t)) },
  [`${MD}/SHARED:optics/SHARED:EFTEMOn`]: { text: (s, t) => void (s.energyFilter = t) },
  [`${MD}/SHARED:optics/SHARED:TemMagnification/SHARED:NominalMagnification`]: {
    text: (s, t) => void (s.magnification = float(s.path, 'NominalMagnification', t)),
  },
  [`${MD}/SHARED:instrument/SHARED:InstrumentModel`]: { text: (s, t) => void (s.instrumentModel = str(t)) },
  [`${MD}/SHARED:instrument/SHARED:InstrumentID`]: { text: (s, t) => void (s.instrumentId = str(t)) },
  [`${MD}/SHARED:instrument/SHARED:ComputerName`]: { text: (s, t) => void (s.computerName = str(t)) },
});

function parseImage(xml: string | Buffer, path: string): State {
  return extract(xml, path, schema, {
    path,
    uniqueId: null,
    acquisitionDateTime: null,
    defocus: null,
    magnification: null,
    pixelSize: null,
    energyFilter: null,
    binningX: null,
    binningY: null,
    readoutWidth: null,
    readoutHeight: null,
    instrumentModel: null,
    instrumentId: null,
    computerName: null,
    custom: new Map(),
    customKey: null,
    hole: { centerX: null, centerY: null, quality: null, rotation: null, width: null, height: null },
  });
}

function instrument(s: State): MicroscopeData | null {
  if (s.instrumentModel === null && s.instrumentId === null && s.computerName === null) return null;
  return { instrument_model: s.instrumentModel, instrument_id: s.instrumentId, computer_name: s.computerName };
}

function parentDir(path: string): string {
  const p = toPosixPath(path);
  const slash = p.lastIndexOf('/');
  return slash < 0 ? '.' : p.slice(0, slash) || '/';
}

export function parseGridSquareManifest(xml: string | Buffer, path: string): GridSquareManifestRecord {
  const s = parseImage(xml, path);
  return {
    gridsquare_id: gridsquareIdFromDir(path),
    acquisition_datetime: required(path, 'acquisitionDateTime', s.acquisitionDateTime),
    defocus: s.defocus,
    magnification: s.magnification,
    pixel_size: s.pixelSize,
    detector_name: detach(required(path, 'CustomData DetectorCommercialName', s.custom.get('DetectorCommercialName'))),
    applied_defocus: float(path, 'CustomData AppliedDefocus', s.custom.get('AppliedDefocus') ?? ''),
    image_size_x: s.readoutWidth,
    image_size_y: s.readoutHeight,
    data_dir: parentDir(path),
    instrument: instrument(s),
  };
}

export function parseFoilHoleManifest(xml: string | Buffer, path: string): FoilHoleManifestRecord {
  const s = parseImage(xml, path);
  const name = /FoilHole_(\d+)_(\d{8}_\d{6})\.xml$/.exec(path);
  return {
    id: name?.[1] ?? null,
    gridsquare_id: gridsquareIdFromDir(path),
    center_x: s.hole.centerX,
    center_y: s.hole.centerY,
    quality: s.hole.quality,
    rotation: s.hole.rotation,
    size_width: s.hole.width,
    size_height: s.hole.height,
    acquisition_datetime: s.acquisitionDateTime,
    file_timestamp: name?.[2] ?? null,
    instrument: instrument(s),
  };
}

export function parseMicrographManifest(xml: string | Buffer, path: string): MicrographManifestRecord {
  const s = parseImage(xml, path);
  const name = /FoilHole_(\d+)_Data_(\d+)_(\d+)_(\d+)_(\d+)\.xml$/.exec(path);
  return {
    unique_id: required(path, 'uniqueID', s.uniqueId),
    acquisition_datetime: required(path, 'acquisitionDateTime', s.acquisitionDateTime),
    defocus: s.defocus,
    detector_name: detach(s.custom.get('DetectorCommercialName') ?? 'Unknown'),
    energy_filter: bool(s.energyFilter ?? ''),
    phase_plate: bool(s.custom.get('PhasePlateUsed') ?? ''),
    image_size_x: s.readoutWidth,
    image_size_y: s.readoutHeight,
    binning_x: s.binningX ?? 1,
    binning_y: s.binningY ?? 1,
    foilhole_id: name?.[1] ?? null,
    location_id: name?.[2] ?? null,
    gridsquare_id: gridsquareIdFromDir(path),
    instrument: instrument(s),
  };
}
