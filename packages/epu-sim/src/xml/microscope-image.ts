// `MicroscopeImage` documents (namespace Fei.SharedObjects): the GridSquare, FoilHole, Data and atlas Tile
// manifests. One line, no declaration, the element order and inline namespace declarations of EPU 3.9.
import { NS, dnDateTime, dnDouble, dnSingle } from './dotnet.ts';

export type ImageKind = 'Tile' | 'GridSquare' | 'FoilHole' | 'Data';

export interface MicroscopeImageFields {
  kind: ImageKind;
  uniqueId: string;
  coreGuid: string;
  timeMs: number;
  /** Sub-millisecond digits of the timestamp (EPU writes 7 fractional digits). */
  ticks: number;
  stage: { x: number; y: number; z: number };
  defocus: number;
  appliedDefocus: number;
  /** Per-image dose variation, 0..1. */
  jitter: number;
  /** FoilHole manifests only: EPU's hole-centre finding result on the hole image. */
  holeFinding?: { x: number; y: number; quality: number; rotation: number; size: number };
}

interface Optics {
  magnification: number;
  pixelSize: number;
  exposureTime: number;
  beamDiameter: number;
  spotIndex: number;
  lensMode: 'LM' | 'HM';
  probeMode: 'MicroProbe' | 'NanoProbe';
  objAperture: string;
  slitInserted: boolean;
  slitWidth: number;
  superResolution: number;
  fractions: number | null;
  doseRate: number;
}

const OPTICS: Record<ImageKind, Optics> = {
  Tile: {
    magnification: 155,
    pixelSize: 3.41e-7,
    exposureTime: 1,
    beamDiameter: 0.0009,
    spotIndex: 8,
    lensMode: 'LM',
    probeMode: 'MicroProbe',
    objAperture: 'None',
    slitInserted: false,
    slitWidth: 20,
    superResolution: 1,
    fractions: null,
    doseRate: 0.9,
  },
  GridSquare: {
    magnification: 470,
    pixelSize: 4.156e-8,
    exposureTime: 2,
    beamDiameter: 0.0003,
    spotIndex: 6,
    lensMode: 'LM',
    probeMode: 'MicroProbe',
    objAperture: 'None',
    slitInserted: false,
    slitWidth: 50,
    superResolution: 1,
    fractions: null,
    doseRate: 15.3,
  },
  FoilHole: {
    magnification: 15000,
    pixelSize: 1.2548310168725152e-9,
    exposureTime: 2,
    beamDiameter: 1.1e-5,
    spotIndex: 8,
    lensMode: 'HM',
    probeMode: 'NanoProbe',
    objAperture: '100',
    slitInserted: false,
    slitWidth: 50,
    superResolution: 1,
    fractions: null,
    doseRate: 57.4,
  },
  Data: {
    magnification: 165000,
    pixelSize: 1.0558814239614023e-10,
    exposureTime: 0.89,
    beamDiameter: 4.9e-7,
    spotIndex: 5,
    lensMode: 'HM',
    probeMode: 'NanoProbe',
    objAperture: '100',
    slitInserted: true,
    slitWidth: 10,
    superResolution: 2,
    fractions: 50,
    doseRate: 1.1175,
  },
};

const XSD = `xmlns:b="${NS.xsd}"`;
const UNIT = `<unit xmlns:a="http://schemas.datacontract.org/2004/07/Fei.Common.Types"><a:_x003C_PrefixExponent_x003E_k__BackingField>1</a:_x003C_PrefixExponent_x003E_k__BackingField><a:_x003C_Symbol_x003E_k__BackingField>m</a:_x003C_Symbol_x003E_k__BackingField></unit>`;

function kv(key: string, type: string, value: string): string {
  return `<a:KeyValueOfstringanyType><a:Key>${key}</a:Key><a:Value i:type="b:${type}" ${XSD}>${value}</a:Value></a:KeyValueOfstringanyType>`;
}

function xy(name: string, x: number, y: number): string {
  return `<${name} xmlns:a="${NS.types}"><a:_x>${dnDouble(x)}</a:_x><a:_y>${dnDouble(y)}</a:_y></${name}>`;
}

function holeFindingXml(h: NonNullable<MicroscopeImageFields['holeFinding']>): string {
  return (
    `<a:KeyValueOfstringanyType><a:Key>FindFoilHoleCenterResults</a:Key><a:Value i:type="b:Shape2D" xmlns:b="${NS.types}">` +
    `<b:Center xmlns:c="${NS.drawing}"><c:x>${dnSingle(h.x)}</c:x><c:y>${dnSingle(h.y)}</c:y></b:Center>` +
    `<b:Quality>${dnDouble(h.quality)}</b:Quality><b:Rotation>${dnDouble(h.rotation)}</b:Rotation><b:Shear>0</b:Shear>` +
    `<b:Size xmlns:c="${NS.drawing}"><c:height>${dnSingle(h.size)}</c:height><c:width>${dnSingle(h.size * 1.0000002)}</c:width></b:Size>` +
    `</a:Value></a:KeyValueOfstringanyType>`
  );
}

/** Formatted per-image values; everything else in a manifest of one kind is the same text. */
type Slots = Record<
  | 'uniqueId'
  | 'doseOnCamera'
  | 'doseRate'
  | 'dose'
  | 'holeFinding'
  | 'appliedDefocus'
  | 'time'
  | 'coreGuid'
  | 'beamShiftX'
  | 'defocus'
  | 'x'
  | 'y'
  | 'z',
  string
>;
const SLOT_NAMES: (keyof Slots)[] = [
  'uniqueId',
  'doseOnCamera',
  'doseRate',
  'dose',
  'holeFinding',
  'appliedDefocus',
  'time',
  'coreGuid',
  'beamShiftX',
  'defocus',
  'x',
  'y',
  'z',
];

/** The whole manifest, as EPU writes it. */
export function microscopeImageXml(f: MicroscopeImageFields): string {
  const o = OPTICS[f.kind];
  const doseRate = o.doseRate * (0.9 + 0.2 * f.jitter);
  const slots: Slots = {
    uniqueId: f.uniqueId,
    doseOnCamera: dnDouble(doseRate * o.exposureTime * 14.4),
    doseRate: dnDouble(doseRate),
    dose: dnDouble((doseRate * o.exposureTime) / (o.pixelSize * o.pixelSize) / 1e3),
    holeFinding: f.holeFinding ? holeFindingXml(f.holeFinding) : '',
    appliedDefocus: dnDouble(f.appliedDefocus),
    time: dnDateTime(f.timeMs, 0, f.ticks),
    coreGuid: f.coreGuid,
    beamShiftX: dnDouble(f.kind === 'Data' ? -0.0945 + f.jitter * 0.01 : 0),
    defocus: dnDouble(f.defocus),
    x: dnDouble(f.stage.x),
    y: dnDouble(f.stage.y),
    z: dnDouble(f.stage.z),
  };
  const parts = (compiled[f.kind] ??= compile(f.kind));
  let out = parts[0];
  for (let i = 0; i < SLOT_NAMES.length; i++) out += slots[SLOT_NAMES[i]] + parts[i + 1];
  return out;
}

const compiled: Partial<Record<ImageKind, string[]>> = {};

/** The kind's document cut at its per-image values (built once per kind, with markers in the slots). */
function compile(kind: ImageKind): string[] {
  const marker = (name: string): string => `\u0001${name}\u0001`;
  const slots = Object.fromEntries(SLOT_NAMES.map((n) => [n, marker(n)])) as Slots;
  const xml = documentXml(kind, slots);
  const parts: string[] = [];
  let rest = xml;
  for (const name of SLOT_NAMES) {
    const at = rest.indexOf(marker(name));
    if (at === -1) throw new Error(`microscope image template: slot ${name} missing`);
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + marker(name).length);
  }
  parts.push(rest);
  return parts;
}

function documentXml(kind: ImageKind, v: Slots): string {
  const o = OPTICS[kind];
  const m = o.pixelSize * 0.9985;
  const shear = o.pixelSize * 0.0573;
  const fractionation =
    o.fractions === null
      ? `<a:KeyValueOfstringanyType><a:Key>FractionationSettings</a:Key><a:Value i:nil="true"/></a:KeyValueOfstringanyType>`
      : `<a:KeyValueOfstringanyType><a:Key>FractionationSettings</a:Key><a:Value i:type="b:EquidistantFractionation" xmlns:b="http://schemas.datacontract.org/2004/07/Fei.Applications.Common.Omp.Interface"><b:NumberOffractions>${o.fractions}</b:NumberOffractions></a:Value></a:KeyValueOfstringanyType>`;
  const scale = (v: number): string => `<numericValue>${dnDouble(v)}</numericValue>${UNIT}`;
  return (
    `<MicroscopeImage xmlns="${NS.shared}" xmlns:i="${NS.xsi}"><name>Empty</name><uniqueID>${v.uniqueId}</uniqueID>` +
    `<CustomData xmlns:a="${NS.arrays}">` +
    kv('DoseOnCamera', 'double', v.doseOnCamera) +
    kv('Aperture[C1].Name', 'string', '2000') +
    kv('Aperture[C2].Name', 'string', '50') +
    kv('Aperture[C3].Name', 'string', 'None') +
    kv('Aperture[OBJ].Name', 'string', o.objAperture) +
    kv('Aperture[SA].Name', 'string', 'None') +
    kv('StemMagnification', 'boolean', 'false') +
    kv('Detectors[EF-CCD].CommercialName', 'string', 'BioQuantum K3') +
    kv('Detectors[EF-CCD].ElectronCounted', 'boolean', 'true') +
    kv('DoseRate', 'double', v.doseRate) +
    kv('IlluminationIntensity', 'double', '0') +
    kv('Dose', 'double', v.dose) +
    kv('PhasePlateUsed', 'boolean', 'false') +
    kv('BinaryResult.Detector', 'string', 'EF-CCD') +
    kv('DetectorCommercialName', 'string', 'BioQuantum K3') +
    v.holeFinding +
    kv('AppliedDefocus', 'double', v.appliedDefocus) +
    `</CustomData><IntensityScale i:nil="true"/>` +
    `<ReferenceTransformation><matrix xmlns:a="http://schemas.datacontract.org/2004/07/System.Windows.Media">` +
    `<a:_m11>${dnDouble(-m)}</a:_m11><a:_m12>${dnDouble(-shear)}</a:_m12><a:_m21>${dnDouble(-shear)}</a:_m21><a:_m22>${dnDouble(m)}</a:_m22>` +
    `<a:_offsetX>0</a:_offsetX><a:_offsetY>0</a:_offsetY><a:_padding>0</a:_padding><a:_type>TRANSFORM_IS_UNKNOWN</a:_type></matrix>${UNIT}</ReferenceTransformation>` +
    `<SpatialScale><offset><x>${scale(0)}</x><y>${scale(0)}</y></offset><pixelSize><x>${scale(o.pixelSize)}</x><y>${scale(o.pixelSize)}</y></pixelSize></SpatialScale>` +
    `<microscopeData><acquisition><acquisitionDateTime>${v.time}</acquisitionDateTime><analyticalDetectors/>` +
    `<camera><Binning xmlns:a="${NS.drawing}"><a:x>2</a:x><a:y>2</a:y></Binning><CameraLocation>EnergyFilter</CameraLocation>` +
    `<CameraSpecificInput xmlns:a="${NS.arrays}">` +
    kv('AlignIntegratedImageEnabled', 'boolean', 'false') +
    kv('SuperResolutionFactor', 'long', String(o.superResolution)) +
    fractionation +
    kv('ElectronCountingEnabled', 'boolean', 'true') +
    kv('ApplyDefinedShutter', 'boolean', 'true') +
    kv('CetaFramesSummed', 'long', '1') +
    kv('CetaNoiseReductionEnabled', 'boolean', 'false') +
    kv('FixedReadoutArea', 'string', 'Full') +
    `</CameraSpecificInput><DarkGainCorrection>None</DarkGainCorrection><ExposureTime>${dnDouble(o.exposureTime)}</ExposureTime>` +
    `<FixedReadoutArea>Full</FixedReadoutArea><Inserted>true</Inserted><Name>EF-CCD</Name><PreExposurePauseTime>0</PreExposurePauseTime>` +
    `<PreExposureSupported>false</PreExposureSupported><PreExposureTime>0</PreExposureTime>` +
    `<ReadoutArea xmlns:a="${NS.drawing}"><a:height>2046</a:height><a:width>2880</a:width><a:x>0</a:x><a:y>0</a:y></ReadoutArea><Shutter>PreSpecimen</Shutter></camera>` +
    `<plateCamera><ExposureTime>0</ExposureTime><Use>false</Use></plateCamera>` +
    `<scanSettings><DwellTime>0</DwellTime><ReducedArea xmlns:a="${NS.drawing}" i:nil="true"/><Resolution xmlns:a="${NS.drawing}"><a:height>0</a:height><a:width>0</a:width></Resolution>` +
    `<ScanArea xmlns:a="${NS.drawing}"><a:height>0</a:height><a:width>0</a:width><a:x>0</a:x><a:y>0</a:y></ScanArea><ScanRotation>0</ScanRotation></scanSettings>` +
    `<scanningDetector><DetectorType>SecondaryElectrons</DetectorType><Gain i:nil="true"/><Inserted>false</Inserted><Name i:nil="true"/><Offset i:nil="true"/></scanningDetector></acquisition>` +
    `<core><ApplicationSoftware>EPU</ApplicationSoftware><ApplicationSoftwareVersion>3.9.1.8206</ApplicationSoftwareVersion><Guid>${v.coreGuid}</Guid></core>` +
    `<gun><AccelerationVoltage>300000</AccelerationVoltage><ExtractorVoltage>4250</ExtractorVoltage><Filament i:nil="true"/><GunLens>4</GunLens><Sourcetype>FieldEmission</Sourcetype><WehneltBias i:nil="true"/></gun>` +
    `<instrument><AcquisitionSoftware i:nil="true"/><AcquisitionSoftwareVersion i:nil="true"/><ComputerName>TITAN52336320</ComputerName><InstrumentID>3632</InstrumentID><InstrumentModel>TITAN52336320</InstrumentModel></instrument>` +
    `<optics><Apertures i:nil="true"/><BeamConvergence i:nil="true"/><BeamDiameter>${dnDouble(o.beamDiameter)}</BeamDiameter>` +
    `<BeamShift xmlns:a="${NS.types}"><a:_x>${v.beamShiftX}</a:_x><a:_y>${kind === 'Data' ? '-0.0117' : '0'}</a:_y></BeamShift>` +
    xy('BeamTilt', 0.011545443907380104, -0.012739625759422779) +
    `<Cameralength>0</Cameralength><ColumnOperatingMode>TEM</ColumnOperatingMode><ColumnOperatingTemSubMode>BrightField</ColumnOperatingTemSubMode>` +
    xy('CondenserStigmator', 0, 0) +
    `<Defocus>${v.defocus}</Defocus><DiffractionFocus>0</DiffractionFocus>` +
    xy('DiffractionShift', 0, 0) +
    xy('DiffractionStigmator', 0, 0) +
    `<EFTEMOn>true</EFTEMOn><EnergyFilter><AccelerationVoltageOffset>0</AccelerationVoltageOffset><DriftTubeVoltage>0</DriftTubeVoltage>` +
    `<EnergySelectionSlitInserted>${o.slitInserted}</EnergySelectionSlitInserted><EnergySelectionSlitWidth>${o.slitWidth}</EnergySelectionSlitWidth><EnergyShift>0</EnergyShift>` +
    `<EntranceApertureDiameter i:nil="true"/><EntranceApertureType i:nil="true"/></EnergyFilter>` +
    `<Focus>${dnDouble(kind === 'Data' ? 0.00035992320466400124 : -0.0001726)}</Focus><GunStigmator xmlns:a="${NS.types}" i:nil="true"/>` +
    `<IlluminationMode>Parallel</IlluminationMode><IlluminationProbeSubMode i:nil="true"/>` +
    xy('ImageShift', 0, 0) +
    `<Intensity>0</Intensity><ObjectiveLensMode>${o.lensMode}</ObjectiveLensMode>` +
    xy('ObjectiveStigmator', 0, 0) +
    `<ProbeMode>${o.probeMode}</ProbeMode><ProjectorMode>Imaging</ProjectorMode><SpotIndex>${o.spotIndex}</SpotIndex><StemDefocus>0</StemDefocus>` +
    `<StemFieldOfView i:nil="true"/><StemMagnification i:nil="true"/><TemMagnification><NominalMagnification>${o.magnification}</NominalMagnification></TemMagnification><XLModeOn>false</XLModeOn></optics>` +
    `<sample><Description i:nil="true"/><ID i:nil="true"/></sample>` +
    `<stage><Holder>Unspecified</Holder><Position><A>${dnDouble(-0.00051001212656003416)}</A><B>${dnDouble(0.0176318525)}</B>` +
    `<X>${v.x}</X><Y>${v.y}</Y><Z>${v.z}</Z></Position><SampleLoader>None</SampleLoader></stage>` +
    `<vacuum><ProjectionChamberPressure>0</ProjectionChamberPressure><SamplePressure>0</SamplePressure><VacuumMode>Ready</VacuumMode></vacuum>` +
    `</microscopeData></MicroscopeImage>`
  );
}
