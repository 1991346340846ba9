// `EpuSession.dm` (root EpuSessionXml, Applications.Epu.Persistence), written when the session starts and again
// once the grid squares are selected on the atlas.
import { NS, RefIds, commonId, dnDateTime, dnDateTimeUtc, dnDouble } from './dotnet.ts';
import type { Grid, Visit } from '../model.ts';

const EPU_ASSEMBLY = 'Applications.Epu.Persistence, Version=3.9.1.8206, Culture=neutral, PublicKeyToken=null';
const DATAMODEL = 'Applications.Epu.Datamodel, Version=3.9.1.8206, Culture=neutral, PublicKeyToken=null';
const SERVICES = 'Fei.Applications.Common.Services, Version=5.29.0.8206, Culture=neutral, PublicKeyToken=null';
const MSCORLIB = 'mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089';

/** `Z:\<visit>`: the storage folder EPU writes to, as a Windows path. */
export function storageFolder(visit: Visit): string {
  return `Z:\\${visit.name}`;
}

/** Windows path of the grid's Atlas.dm, as the session's `AtlasId` names it. */
export function atlasWindowsPath(visit: Visit, grid: Grid): string {
  return `${storageFolder(visit)}\\atlas\\${visit.atlasDirName}\\Sample${grid.slot}\\Atlas\\Atlas.dm`;
}

/** `withSquares: false` is the first version, written before any square is selected. */
export function epuSessionXml(visit: Visit, grid: Grid, withSquares: boolean): string {
  const refs = new RefIds();
  const r = (): number => refs.next();
  const squares = withSquares ? grid.squares : [];
  const out: string[] = [];
  out.push(
    `<EpuSessionXml z:Id="${r()}" z:Type="Applications.Epu.Persistence.EpuSessionXml" z:Assembly="${EPU_ASSEMBLY}" xmlns="${NS.epu}" xmlns:i="${NS.xsi}" xmlns:z="${NS.ser}">` +
      commonId(grid.sessionId) +
      `<AutoFocusEnabled>false</AutoFocusEnabled><AutoStageTimeEnabled>false</AutoStageTimeEnabled><AutoZeroLossEnabled>false</AutoZeroLossEnabled><AutoZeroLossPeriodicity>PT1H</AutoZeroLossPeriodicity>` +
      `<AutoloaderDescription z:Id="${r()}">${visit.name} grid ${grid.index + 1}</AutoloaderDescription><AutoloaderSlot>${grid.slot}</AutoloaderSlot>` +
      `<ClusteringMode>ClusteringWithImageBeamShift</ClusteringMode><ClusteringRadius>1.2E-05</ClusteringRadius>`,
  );
  const dmp = r();
  const empty = r();
  const nils = [
    'DatasetId',
    'DatasetName',
    'ExperimentId',
    'ExperimentName',
    'ProjectId',
    'ProjectName',
    'WorkflowId',
    'WorkflowName',
    'WorkstepId',
    'WorkstepName',
  ]
    .map((n) => `<${n} z:Ref="${empty}" i:nil="true"/>`)
    .join('');
  out.push(
    `<DMPSession z:Id="${dmp}" z:Type="Applications.SciencesAppsShared.DMP.BusinessLogic.Persistence.DMPSessionXml" z:Assembly="Applications.SciencesAppsShared.DMP.BusinessLogic, Version=1.38.0.8206, Culture=neutral, PublicKeyToken=null"><AcquisitionRunId z:Id="${empty}"/>${nils}</DMPSession>` +
      `<DoseFractionsOutputFormat z:Id="${r()}">Tiff Lzw Non-Gain normalized</DoseFractionsOutputFormat><EmailNotificationEnabled>false</EmailNotificationEnabled><EnableSmartHoleSelection>false</EnableSmartHoleSelection>` +
      `<IceThicknessEnabled>false</IceThicknessEnabled><ImageFileFormat>Tiff</ImageFileFormat><IsManuallySelected>false</IsManuallySelected><IsSmartFilterGridSquareDecisionKnown>false</IsSmartFilterGridSquareDecisionKnown>` +
      `<MicroscopeName i:nil="true"/>`,
  );
  const nameId = r();
  out.push(
    `<Name z:Id="${nameId}">${grid.sessionName}</Name><NumberOfTargetLocationsToSelect i:nil="true"/><PhasePlateAccelerateEnabled>false</PhasePlateAccelerateEnabled><PhasePlateActivationTime>PT20S</PhasePlateActivationTime>` +
      `<PhasePlateEnabled>false</PhasePlateEnabled><PhasePlatePeriodicity>50</PhasePlatePeriodicity><RecipientsEmailList i:nil="true"/><RemoveHolesCloseToGridBarOnAutomaticRun>true</RemoveHolesCloseToGridBarOnAutomaticRun>`,
  );
  out.push(`<Samples z:Id="${r()}"><_items z:Id="${r()}" z:Size="4"><SampleXml z:Id="${r()}">${commonId(grid.sampleId)}`);
  out.push(
    `<AlignmentTimeStamp>${dnDateTime(grid.atlasTimeMs + 3600_000, 0, 3916)}</AlignmentTimeStamp><AllowDarkFoilHolesOnGridSquareMagnification>false</AllowDarkFoilHolesOnGridSquareMagnification>` +
      `<AtlasId z:Id="${r()}">${atlasWindowsPath(visit, grid)}</AtlasId><EndDateTime i:nil="true"/>` +
      filterSettings('FilterGridSquaresSettings', r(), grid.sampleId + 2, 65535, 0, '') +
      filterSettings(
        'FilterHolesSettings',
        r(),
        grid.sampleId + 1,
        1020.8035714285713,
        534.077380952381,
        `<HoleSize>${dnDouble(2.1316745710968125e-6)}</HoleSize><HoleSpacing>${dnDouble(4.1649159964957749e-6)}</HoleSpacing><Rotation>${dnDouble(3.0671749626142644)}</Rotation>`,
      ) +
      `<GridGeometry>Square</GridGeometry>`,
  );
  const comparer = r();
  out.push(
    `<GridSquares z:Id="${r()}" xmlns:a="${NS.arrays}"><a:m_comparer z:Id="${comparer}" z:Type="System.Collections.Generic.GenericEqualityComparer\`1[[System.Int32, ${MSCORLIB}]]" z:Assembly="0"/>` +
      `<a:m_keyRehashCount>0</a:m_keyRehashCount><a:m_serializationArray z:Id="${r()}" z:Size="${squares.length}" xmlns:b="${NS.generic}">`,
  );
  for (const sq of squares) {
    out.push(
      `<b:KeyValuePairOfintSerializedReferenceOfGridSquareXml_PsqDC3X0m6koiAE_P><b:key>${sq.id}</b:key><b:value z:Id="${r()}" xmlns:c="${NS.common}"><c:FileName z:Id="${r()}">Metadata\\GridSquare_${sq.id}.dm</c:FileName></b:value></b:KeyValuePairOfintSerializedReferenceOfGridSquareXml_PsqDC3X0m6koiAE_P>`,
    );
  }
  const dictType = `System.Collections.Generic.Dictionary\`2[[Applications.Epu.Datamodel.ExperimentSettingsId, ${DATAMODEL}],[Fei.Applications.Common.Services.MicroscopeSettings, ${SERVICES}]]`;
  const pairType = `System.Collections.Generic.KeyValuePair\`2[[Applications.Epu.Datamodel.ExperimentSettingsId, ${DATAMODEL}],[Fei.Applications.Common.Services.MicroscopeSettings, ${SERVICES}]][]`;
  out.push(
    `</a:m_serializationArray><a:m_serializationCapacity>1117</a:m_serializationCapacity><a:m_serializationConcurrencyLevel>384</a:m_serializationConcurrencyLevel></GridSquares>` +
      `<GridType>HoleyCarbon</GridType>` +
      `<MicroscopeSettings z:Id="${r()}" z:Type="${dictType}" z:Assembly="0" xmlns:a="${NS.arrays}"><Version z:Id="${r()}" z:Type="System.Int32" z:Assembly="0" xmlns="">0</Version>` +
      `<Comparer z:Id="${r()}" z:Type="System.Collections.Generic.EnumEqualityComparer\`1[[Applications.Epu.Datamodel.ExperimentSettingsId, ${DATAMODEL}]]" z:Assembly="0" xmlns=""/>` +
      `<HashSize z:Id="${r()}" z:Type="System.Int32" z:Assembly="0" xmlns="">0</HashSize><KeyValuePairs z:Id="${r()}" z:Type="${pairType}" z:Assembly="0" z:Size="0" xmlns=""/></MicroscopeSettings>` +
      `<SpecimenCarrierKind i:nil="true"/><StartDateTime>${dnDateTime(grid.startMs + 31, 0, 6332)}</StartDateTime>`,
  );
  out.push(targetAreaTemplate(grid, r, comparer));
  out.push(
    `</SampleXml><SampleXml i:nil="true"/><SampleXml i:nil="true"/><SampleXml i:nil="true"/></_items><_size>1</_size><_version>1</_version></Samples>` +
      `<SkipGridSquareEnabled>false</SkipGridSquareEnabled><SmartGridSquareEnabled>false</SmartGridSquareEnabled><StartDateTime>${dnDateTimeUtc(grid.startMs, 5448)}</StartDateTime>`,
  );
  out.push(
    `<StorageFolders z:Id="${r()}"><_items z:Id="${r()}" z:Size="4"><StorageFolderXml z:Id="${r()}">${commonId(grid.storageFolderId)}<DiscId>1</DiscId>` +
      `<Path z:Id="${r()}">${storageFolder(visit)}</Path><SessionName z:Ref="${nameId}" i:nil="true"/></StorageFolderXml>` +
      `<StorageFolderXml i:nil="true"/><StorageFolderXml i:nil="true"/><StorageFolderXml i:nil="true"/></_items><_size>1</_size><_version>1</_version></StorageFolders>` +
      `<Version z:Id="${r()}" xmlns:a="http://schemas.datacontract.org/2004/07/System"><a:_Build>0</a:_Build><a:_Major>3</a:_Major><a:_Minor>0</a:_Minor><a:_Revision>0</a:_Revision></Version></EpuSessionXml>`,
  );
  return out.join('');
}

function filterSettings(tag: string, ref: number, id: number, max: number, min: number, extra: string): string {
  return (
    `<${tag} z:Id="${ref}">${commonId(id)}<I0>0</I0><IsCalibrated>false</IsCalibrated><MaximumIntensity>${dnDouble(max)}</MaximumIntensity><MinimumIntensity>${dnDouble(min)}</MinimumIntensity>` +
    `<ReferenceBeamCurrent i:nil="true"/><SmartIceThicknessMaximumIntensity>0</SmartIceThicknessMaximumIntensity><SmartIceThicknessMinimumIntensity>0</SmartIceThicknessMinimumIntensity>${extra}</${tag}>`
  );
}

function targetAreaTemplate(grid: Grid, r: () => number, comparer: number): string {
  const out: string[] = [];
  out.push(
    `<TargetAreaTemplate z:Id="${r()}">${commonId(grid.sampleId + 927)}<AutoFocusArea z:Id="${r()}">${commonId(grid.sampleId + 929)}<FocusWith z:Id="${r()}">ObjectiveLens</FocusWith>` +
      `<Recurrence z:Id="${r()}">AfterDistance</Recurrence><RecurrenceDistance>8E-06</RecurrenceDistance><ShiftInPixels xmlns:a="${NS.drawing}"><a:height>-1306.46558</a:height><a:width>-456.4362</a:width></ShiftInPixels>` +
      `<UseAutoStigmate>false</UseAutoStigmate></AutoFocusArea><AutoplaceAutofocus>true</AutoplaceAutofocus>` +
      `<DataAcquisitionAreas z:Id="${r()}" xmlns:a="${NS.arrays}"><a:m_comparer z:Ref="${comparer}" i:nil="true"/><a:m_keyRehashCount>0</a:m_keyRehashCount>` +
      `<a:m_serializationArray z:Id="${r()}" z:Size="${grid.areas.length}" xmlns:b="${NS.generic}">`,
  );
  let defocusRef = 0;
  grid.areas.forEach((area, k) => {
    const angle = (2 * Math.PI * k) / grid.areas.length;
    const valueRef = r();
    const settingRef = r();
    let defocus: string;
    if (defocusRef === 0) {
      defocusRef = r();
      defocus = `<Defocus z:Id="${defocusRef}" z:Type="System.Double[]" z:Assembly="0" z:Size="${grid.defocusList.length}">${grid.defocusList.map((d) => `<a:double>${dnDouble(d)}</a:double>`).join('')}</Defocus>`;
    } else {
      defocus = `<Defocus z:Ref="${defocusRef}" i:nil="true"/>`;
    }
    out.push(
      `<b:KeyValuePairOfintDataAcquisitionAreaXmlBpEWF4JT><b:key>${area.id}</b:key><b:value z:Id="${valueRef}">${commonId(area.id)}<ImageAcquisitionSettingXml z:Id="${settingRef}">${commonId(area.settingId)}` +
        `${defocus}<ExposureTime>1.7</ExposureTime></ImageAcquisitionSettingXml><ShiftInPixels xmlns:c="${NS.drawing}"><c:height>${dnDouble(Math.round(Math.sin(angle) * 3631) / 10)}</c:height>` +
        `<c:width>${dnDouble(Math.round(Math.cos(angle) * 3311) / 10)}</c:width></ShiftInPixels></b:value></b:KeyValuePairOfintDataAcquisitionAreaXmlBpEWF4JT>`,
    );
  });
  out.push(
    `</a:m_serializationArray><a:m_serializationCapacity>31</a:m_serializationCapacity><a:m_serializationConcurrencyLevel>12</a:m_serializationConcurrencyLevel></DataAcquisitionAreas>` +
      `<DelayAfterImageShift>0.5</DelayAfterImageShift><DelayAfterStageShift>5</DelayAfterStageShift><DriftStabilizationArea i:nil="true"/><MaximumImageShift>5E-06</MaximumImageShift>` +
      `<PhysicalTransformation xmlns:a="${NS.shared}"><a:matrix xmlns:b="http://schemas.datacontract.org/2004/07/System.Windows.Media"><b:_m11>-1.0547074550851703E-09</b:_m11><b:_m12>-5.0621842104867353E-11</b:_m12>` +
      `<b:_m21>-5.0621842104867417E-11</b:_m21><b:_m22>1.0547074550851703E-09</b:_m22><b:_offsetX>0</b:_offsetX><b:_offsetY>0</b:_offsetY><b:_padding>0</b:_padding><b:_type>TRANSFORM_IS_UNKNOWN</b:_type></a:matrix>` +
      `<a:unit xmlns:b="http://schemas.datacontract.org/2004/07/Fei.Common.Types"><b:_x003C_PrefixExponent_x003E_k__BackingField>1</b:_x003C_PrefixExponent_x003E_k__BackingField><b:_x003C_Symbol_x003E_k__BackingField z:Id="${r()}">m</b:_x003C_Symbol_x003E_k__BackingField></a:unit></PhysicalTransformation>` +
      `<TemplateImagePixelSize xmlns:a="${NS.drawing}"><a:height>2.11184314E-09</a:height><a:width>2.11184314E-09</a:width></TemplateImagePixelSize></TargetAreaTemplate>`,
  );
  return out.join('');
}
