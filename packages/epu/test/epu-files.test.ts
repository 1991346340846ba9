// Every real EPU file in ../shared/epu-samples (EPU 3.4, 3.7, 3.8, 3.9, 3.11), parsed in place, with concrete values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  classifyEpuPath,
  EpuParseError,
  listFiles,
  parseAtlas,
  parseEpuFile,
  parseEpuSession,
  parseFoilHoleManifest,
  parseGridSquareManifest,
  parseGridSquareMetadata,
  parseMicrographManifest,
} from '@smartem/epu';
import { DIR_EXAMPLE, EMHARVEST_ATLAS, EMHARVEST_GRID, MERGER, MOCKS, sample, SAMPLES, SKIP_SAMPLES, SPA } from './samples.ts';

const read = (path: string): Buffer => readFileSync(sample(path));

test('EpuSession.dm of every EPU version', { skip: SKIP_SAMPLES }, () => {
  const spa = parseEpuSession(read(`${SPA}/EPU_session/EpuSession.dm`), 'EpuSession.dm');
  assert.deepEqual(spa, {
    id: '4600928',
    name: 'Supervisor_20240405_115113_0_SmartEPU_ApoF',
    start_time: '2024-04-05T11:36:47.2285448Z',
    atlas_path: 'atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm',
    atlas_path_raw: 'Z:\\nt32457-6\\atlas\\Supervisor_20240404_093820_Pete_Miriam_HexAuFoil\\Sample4\\Atlas\\Atlas.dm',
    storage_path: '/cygdrive/z/nt32457-6',
    storage_path_raw: 'Z:\\nt32457-6',
    clustering_mode: 'NoClustering',
    clustering_radius: '0',
    instrument: null,
  });
  // The epumocks copy has a trailing newline; the .dm.xml copy was pretty-printed by a person.
  assert.deepEqual(parseEpuSession(read(`${MOCKS}/EPU_session/EpuSession.dm`), 'x'), spa);
  assert.deepEqual(parseEpuSession(read(`${SPA}/EPU_session/EpuSession.dm.xml`), 'x'), spa);

  const v39 = parseEpuSession(read(`${DIR_EXAMPLE}/EpuSession.dm`), 'x');
  assert.equal(v39.id, '9015527');
  assert.equal(v39.clustering_mode, 'ClusteringWithImageBeamShift');
  assert.equal(v39.clustering_radius, '1.2E-05');
  assert.equal(v39.atlas_path, 'atlas/Supervisor_20250108_101551_cm40593-1_Atlas/Sample7/Atlas/Atlas.dm');
  assert.equal(v39.storage_path, '/cygdrive/z/DoseFractions/cm40593-1');

  const v34 = parseEpuSession(read(`${EMHARVEST_GRID}/EpuSession.dm`), 'x');
  assert.equal(v34.id, '19503064');
  assert.equal(v34.start_time, '2023-09-19T13:03:40.0230721Z');
  assert.equal(v34.atlas_path, 'atlas/Supervisor_20230919_115905_Atlas_bi23047-106/Sample2/Atlas/Atlas.dm');

  // 3.11: the AtlasId is not below the storage folder, so it stays a Windows path (as the original).
  const v311 = parseEpuSession(read(`${MERGER}/EpuSession.dm`), 'x');
  assert.equal(v311.name, '20250226_Mathieu-G382-grid04');
  assert.equal(v311.atlas_path, 'D:\\Atlas\\meh\\Sample1\\Atlas\\Atlas.dm');
  assert.equal(v311.storage_path, '/cygdrive/g/');
});

test('Atlas.dm: the atlas session id, tiles, grid-square positions with category and quality', { skip: SKIP_SAMPLES }, () => {
  const path = `${SPA}/Atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm`;
  const atlas = parseAtlas(read(path), path);
  // The original returned 4591303 here (a nested tile-position id); the atlas's own id is 3436163.
  assert.equal(atlas.id, '3436163');
  assert.equal(atlas.name, 'Atlas');
  assert.equal(atlas.description, 'Atlas for autoloader slot 4');
  assert.equal(atlas.acquisition_date, '2024-04-05T10:17:53.98788+01:00');
  assert.equal(atlas.storage_folder, 'Z:\\nt32457-6\\atlas\\Supervisor_20240404_093820_Pete_Miriam_HexAuFoil\\Sample4');
  assert.equal(atlas.tiles.length, 35); // 64 slots, the nil ones skipped
  assert.deepEqual(atlas.tiles[0], {
    id: '4590157',
    tile_position: { position: [1584, 1687], size: [833, 592] },
    file_format: 'Mrc',
    base_filename: 'Tile_4590157_0_4590151',
    gridsquare_positions: {
      '4590306': [{ position: [2258, 187], size: [495, 463] }],
      '4590309': [{ position: [272, 677], size: [530, 513] }],
      '4590311': [{ position: [1177, 879], size: [503, 494] }],
      '4590313': [{ position: [2071, 1075], size: [483, 471] }],
      '4590316': [{ position: [144, 1587], size: [388, 482] }],
      '4590318': [{ position: [986, 1779], size: [474, 469] }],
      '4590321': [{ position: [1896, 1932], size: [407, 299] }],
    },
  });
  assert.equal(Object.keys(atlas.gridsquare_positions).length, 222);
  const square = atlas.gridsquare_positions['4590306']!;
  assert.deepEqual(square.center, [2236, 1741]);
  assert.deepEqual(square.size, [143, 134]);
  assert.ok(Math.abs(square.physical![0] - -141894.867) < 1e-6 && Math.abs(square.physical![1] - -132325.5) < 1e-6);
  assert.equal(square.rotation, 0.20647442842569014);
  assert.equal(square.category, 1);
  assert.equal(square.quality, 1.2554627533129554);

  // Pretty-printed and newline-terminated copies give the same values.
  assert.deepEqual(parseAtlas(read(`${path}.xml`), path), atlas);
  assert.deepEqual(parseAtlas(read(`${MOCKS}/Atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm`), path), atlas);

  // Hand-trimmed, pretty-printed atlas: 37 of 64 slots kept, 8 of them real tiles.
  const trimmed = parseAtlas(read('smartem-decisions/tests/testdata/Atlas.dm'), 'Atlas.dm');
  assert.equal(trimmed.id, '3436163');
  assert.equal(trimmed.tiles.length, 8);
  assert.equal(Object.keys(trimmed.gridsquare_positions).length, 47);
  assert.deepEqual(trimmed.tiles[0], atlas.tiles[0]);
});

test('Atlas.dm of EPU 3.4 (EMharvest screening session): tile and square counts of each sample', { skip: SKIP_SAMPLES }, () => {
  const expected: Record<string, [id: string, tiles: number, squares: number]> = {
    Atlas: ['19493174', 0, 0],
    Sample0: ['19493186', 0, 0],
    Sample1: ['19493176', 0, 0],
    Sample2: ['19493178', 35, 272],
    Sample3: ['19493180', 35, 73],
    Sample4: ['19493182', 35, 392],
    Sample5: ['19493184', 35, 254],
  };
  for (const [dir, [id, tiles, squares]] of Object.entries(expected)) {
    const path = join(EMHARVEST_ATLAS, dir === 'Atlas' ? '' : dir, 'Atlas/Atlas.dm');
    const atlas = parseAtlas(read(path), path);
    assert.equal(atlas.id, id, path);
    assert.equal(atlas.tiles.length, tiles, path);
    assert.equal(Object.keys(atlas.gridsquare_positions).length, squares, path);
  }
});

test('Metadata GridSquare_4590776.dm: square metadata and all 570 foil-hole positions', { skip: SKIP_SAMPLES }, () => {
  const path = `${SPA}/GridSquare_4590776.dm`;
  const metadata = parseGridSquareMetadata(read(path), path);
  assert.equal(metadata.gridsquare_id, '4590776');
  assert.equal(metadata.atlas_node_id, 4590776);
  assert.equal(metadata.state, 'InProgress');
  assert.equal(metadata.selected, true);
  assert.equal(metadata.unusable, false);
  assert.equal(metadata.rotation, -0.4006086735909375);
  assert.deepEqual(metadata.stage_position, { x: -4.9194160965271294e-5, y: -0.00056196772493422031, z: 9.2991027587200039e-5 });
  assert.equal(
    metadata.image_path,
    '/cygdrive/z/nt32457-6/Supervisor_20240405_115113_0_SmartEPU_ApoF/Images-Disc1/GridSquare_4590776/GridSquare_20240406_102420.tiff',
  );
  assert.equal(Object.keys(metadata.foilhole_positions).length, 570);
  assert.deepEqual(metadata.foilhole_positions['5665438'], {
    x_location: 1396,
    y_location: 972,
    x_stage_position: -4.2565477384562446e-5,
    y_stage_position: -0.00055945764454228887,
    diameter: 51,
    is_near_grid_bar: false,
    selected: true,
    state: 'Completed',
    quality: 1,
  });
  const states = new Set(Object.values(metadata.foilhole_positions).map((h) => h.state));
  assert.ok(states.size >= 1 && [...states].every((s) => typeof s === 'string'));
  assert.deepEqual(parseGridSquareMetadata(read(`${path}.xml`), path), metadata);
  assert.deepEqual(parseGridSquareMetadata(read(`${MOCKS}/GridSquare_4590776.dm`), path), metadata);
});

test('GridSquare manifests: values, id from the directory, pretty-printed copy equal', { skip: SKIP_SAMPLES }, () => {
  const path = `${DIR_EXAMPLE}/Images-Disc1/GridSquare_8999138/GridSquare_20250108_151151.xml`;
  const m = parseGridSquareManifest(read(path), path);
  assert.equal(m.gridsquare_id, '8999138');
  assert.equal(m.acquisition_datetime, '2025-01-08T15:11:49.6709287+00:00');
  assert.equal(m.defocus, -5.0000000000000036e-5);
  assert.equal(m.magnification, 470);
  assert.equal(m.pixel_size, 4.156276034450457e-8);
  assert.equal(m.detector_name, 'BioQuantum K3');
  assert.equal(m.applied_defocus, -4.9999999999999996e-5);
  assert.deepEqual(m.instrument, { instrument_model: 'TITAN52336320', instrument_id: '3632', computer_name: 'TITAN52336320' });

  const raw = `${SPA}/EPU_session/Images-Disc1/GridSquare_4590776/GridSquare_20240406_102420.xml`;
  const pretty = `${MOCKS}/EPU_session/Images-Disc1/GridSquare_4590776/GridSquare_20240406_102420.xml`;
  const a = parseGridSquareManifest(read(raw), raw);
  assert.equal(a.acquisition_datetime, '2024-04-06T10:24:17.8534312+01:00');
  assert.deepEqual({ ...parseGridSquareManifest(read(pretty), raw) }, a);

  const v34 = parseGridSquareManifest(
    read(`${EMHARVEST_GRID}/Images-Disc1/GridSquare_19493759/GridSquare_20230919_140816.xml`),
    'Images-Disc1/GridSquare_19493759/x.xml',
  );
  assert.equal(v34.gridsquare_id, '19493759');
  assert.equal(v34.magnification, 580);
  assert.equal(v34.applied_defocus, -0.00025);
});

test('FoilHole manifests: FindFoilHoleCenterResults, id and timestamp from the name', { skip: SKIP_SAMPLES }, () => {
  const path = `${DIR_EXAMPLE}/Images-Disc1/GridSquare_8999138/FoilHoles/FoilHole_9015889_20250108_154725.xml`;
  const fh = parseFoilHoleManifest(read(path), path);
  assert.equal(fh.id, '9015889');
  assert.equal(fh.gridsquare_id, '8999138');
  assert.equal(fh.center_x, 1414.76611);
  assert.equal(fh.center_y, 1040.06824);
  assert.equal(fh.quality, 0.7925699949264526);
  assert.equal(fh.rotation, -3.086187417975387);
  assert.equal(fh.size_width, 770.145);
  assert.equal(fh.size_height, 770.144958);
  assert.equal(fh.file_timestamp, '20250108_154725');
  // EPU 3.4 wrote no hole-finding result into this manifest: the values are absent, not invented.
  const v34 = parseFoilHoleManifest(
    read(`${EMHARVEST_GRID}/Images-Disc1/GridSquare_19493759/FoilHoles/FoilHole_19507368_20230919_142541.xml`),
    'x/GridSquare_19493759/FoilHoles/FoilHole_19507368_20230919_142541.xml',
  );
  assert.equal(v34.id, '19507368');
  assert.equal(v34.center_x, null);
  assert.equal(v34.acquisition_datetime, '2023-09-19T14:25:38.5250069+01:00');
});

test('micrograph (Data) manifests: both name forms, every EPU version, all 55 files', { skip: SKIP_SAMPLES }, () => {
  const small = `${DIR_EXAMPLE}/Images-Disc1/GridSquare_8999138/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.xml`;
  assert.deepEqual(parseMicrographManifest(read(small), small), {
    unique_id: 'a57ec324-5326-43a3-8dc6-ee3424aa5814',
    acquisition_datetime: '2025-01-08T15:49:18.1158288+00:00',
    defocus: 4.841602291965749e-7,
    detector_name: 'BioQuantum K3',
    energy_filter: true,
    phase_plate: false,
    image_size_x: 2880,
    image_size_y: 2046,
    binning_x: 2,
    binning_y: 2,
    foilhole_id: '9015883',
    location_id: '9017347',
    gridsquare_id: '8999138',
    instrument: { instrument_model: 'TITAN52336320', instrument_id: '3632', computer_name: 'TITAN52336320' },
  });
  const idForm = `${EMHARVEST_GRID}/Images-Disc1/GridSquare_19493759/Data/FoilHole_19513699_Data_19508496_19508498_20230919_154056.xml`;
  const v34 = parseMicrographManifest(read(idForm), idForm);
  assert.equal(v34.unique_id, '3f181e15-e938-4296-a7ec-a87b983e8570');
  assert.equal(v34.foilhole_id, '19513699');
  assert.equal(v34.location_id, '19508496');
  assert.equal(v34.acquisition_datetime, '2023-09-19T15:41:00.6497848+01:00');

  const falconDir = sample(MERGER, 'data/Images-Disc1/GridSquare_1/Data');
  const names = readdirSync(falconDir).sort();
  assert.equal(names.length, 50);
  const ids = new Set<string>();
  for (const name of names) {
    const m = parseMicrographManifest(readFileSync(join(falconDir, name)), join(falconDir, name));
    assert.equal(m.detector_name, 'Falcon 4i');
    assert.deepEqual([m.image_size_x, m.image_size_y, m.binning_x, m.binning_y], [4096, 4096, 1, 1]);
    assert.equal(m.gridsquare_id, '1');
    assert.match(m.acquisition_datetime, /^2024-08-31T20:0\d:\d\d\.\d+\+02:00$/);
    ids.add(m.unique_id);
  }
  assert.equal(ids.size, 50);
});

test('every classified sample file parses, through parseEpuFile', { skip: SKIP_SAMPLES }, async () => {
  const files = (await listFiles(SAMPLES)).files.filter((f) => classifyEpuPath(f));
  const kinds: Record<string, number> = {};
  for (const file of files) {
    const parsed = await parseEpuFile(file);
    kinds[parsed.kind] = (kinds[parsed.kind] ?? 0) + 1;
  }
  assert.deepEqual(kinds, {
    atlas: 9,
    'foilhole-manifest': 5,
    'gridsquare-manifest': 5,
    'gridsquare-metadata': 2,
    'micrograph-manifest': 55,
    session: 5,
  });
});

test('a truncated real file is an EpuParseError naming the file, never a partial record', { skip: SKIP_SAMPLES }, () => {
  const path = `${SPA}/GridSquare_4590776.dm`;
  const bytes = read(path);
  for (const cut of [1, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
    assert.throws(
      () => parseGridSquareMetadata(bytes.subarray(0, cut), path),
      (e: unknown) =>
        e instanceof EpuParseError && e.path === path && /not well-formed|truncated/.test(e.reason) && e.message.startsWith(path),
    );
  }
  const micrograph = `${DIR_EXAMPLE}/Images-Disc1/GridSquare_8999138/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.xml`;
  const text = read(micrograph).toString('utf8');
  assert.throws(() => parseMicrographManifest(text.slice(0, text.indexOf('</uniqueID>')), micrograph), EpuParseError);
  assert.throws(() => parseMicrographManifest('', micrograph), /empty file/);
  assert.throws(() => parseMicrographManifest(read(`${SPA}/EPU_session/EpuSession.dm`), micrograph), /wrong root element <EpuSessionXml>/);
});
