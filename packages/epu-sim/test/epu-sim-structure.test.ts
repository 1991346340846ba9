// Every generated file type against the real EPU file of the same type (../shared/epu-samples): same root and
// namespaces, the same elements in the same order, and the raw-file artefacts (one line, z:Id / i:nil).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import { generateVisit, type GeneratedVisit } from '../src/index.ts';

const samples = fileURLToPath(new URL('../../../../shared/epu-samples', import.meta.url));
const spa = join(samples, 'smartem-decisions/docs/assets/metadata_spa_acquisition');
const dirExample = join(samples, 'smartem-decisions/tests/testdata/epu-dir-example/Images-Disc1/GridSquare_8999138');
const harvest = join(samples, 'EMharvest/_repo_data/Supervisor_20230919_140141_84_bi23047-106_grid1/Images-Disc1/GridSquare_19493759');
const haveSamples = existsSync(spa) && existsSync(dirExample) && existsSync(harvest);
const skip = haveSamples ? false : `real EPU samples not found at ${samples}`;

interface Structure {
  root: string;
  /** Distinct element paths (`{uri}local > …`), ignoring positions (list slots and dictionary entries repeat). */
  paths: string[];
  /** `parent path | a | b` for every two distinct sibling names where `a` came before `b`. */
  orderPairs: Set<string>;
}

function structure(xml: string): Structure {
  const parser = new SaxesParser({ xmlns: true });
  const stack: string[] = [];
  const children: string[][] = [[]];
  const seen = new Set<string>();
  const paths: string[] = [];
  const orderPairs = new Set<string>();
  parser.on('opentag', (tag) => {
    const name = `{${tag.uri}}${tag.local}`;
    children[children.length - 1].push(name);
    stack.push(name);
    children.push([]);
    const path = stack.join(' > ');
    if (!seen.has(path)) {
      seen.add(path);
      paths.push(path);
    }
  });
  parser.on('closetag', () => {
    const parent = stack.join(' > ');
    const names = [...new Set(children.pop())];
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) orderPairs.add(`${parent}|${names[i]}|${names[j]}`);
    stack.pop();
  });
  parser.write(xml).close();
  return { root: paths[0], paths, orderPairs };
}

/** No two sibling elements may appear in the opposite order to the real file. */
function assertSameOrder(real: Structure, generated: Structure, label: string): void {
  const reversed: string[] = [];
  for (const pair of generated.orderPairs) {
    const [parent, a, b] = pair.split('|');
    const opposite = `${parent}|${b}|${a}`;
    if (real.orderPairs.has(opposite) && !real.orderPairs.has(pair)) reversed.push(`${parent.slice(-120)}: ${a} before ${b}`);
  }
  assert.deepEqual(reversed, [], `${label}: element order differs from the real file`);
}

function assertHas(s: Structure, suffixes: string[], label: string): void {
  for (const suffix of suffixes) {
    const local = suffix.split(' > ').map((p) => (p.startsWith('{') ? p : `}${p}`));
    const found = s.paths.some((p) => {
      const parts = p.split(' > ');
      if (parts.length < local.length) return false;
      return local.every((l, i) => {
        const part = parts[parts.length - local.length + i];
        return l.startsWith('{') ? part === l : part.endsWith(l);
      });
    });
    assert.ok(found, `${label}: no element …/${suffix}`);
  }
}

function assertRaw(xml: string, label: string): void {
  assert.ok(!xml.startsWith('<?xml') && !xml.startsWith('\ufeff'), `${label}: EPU writes no declaration or BOM`);
  assert.ok(!xml.includes('\n') && !xml.endsWith('\n'), `${label}: EPU writes one line, no trailing newline`);
}

let dir = '';
let visit: GeneratedVisit;

function firstFile(under: string, pattern: RegExp): string {
  const name = readdirSync(under).find((n) => pattern.test(n));
  assert.ok(name, `no file matching ${pattern} in ${under}`);
  return join(under, name);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'epu-sim-structure-'));
  visit = await generateVisit({ out: join(dir, 'visit'), squares: 2, holesPerSquare: 6, shotsPerHole: 3, seed: 11 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function generated(kind: 'session' | 'atlas' | 'metadata' | 'gridsquare' | 'foilhole' | 'micrograph' | 'tile'): string {
  const grid = visit.grids[0];
  const square = join(grid.dir, 'Images-Disc1', `GridSquare_${grid.collectedGridSquareIds[0]}`);
  const path = {
    session: join(grid.dir, 'EpuSession.dm'),
    atlas: grid.atlasPath,
    metadata: join(grid.dir, 'Metadata', `GridSquare_${grid.collectedGridSquareIds[0]}.dm`),
    gridsquare: firstFile(square, /^GridSquare_\d+_\d+\.xml$/),
    foilhole: firstFile(join(square, 'FoilHoles'), /\.xml$/),
    micrograph: firstFile(join(square, 'Data'), /\.xml$/),
    tile: firstFile(join(grid.atlasPath, '..'), /^Tile_.*\.xml$/),
  }[kind];
  const xml = readFileSync(path, 'utf8');
  assertRaw(xml, path);
  return xml;
}

test('EpuSession.dm: root, namespaces and the order of the fields the parser reads', { skip }, () => {
  const real = structure(readFileSync(join(spa, 'EPU_session/EpuSession.dm'), 'utf8'));
  const gen = structure(generated('session'));
  assert.equal(gen.root, real.root);
  assertHas(
    gen,
    [
      'Name',
      'StartDateTime',
      'ClusteringMode',
      'ClusteringRadius',
      'SampleXml > AtlasId',
      'StorageFolderXml > Path',
      'GridSquares > {http://schemas.microsoft.com/2003/10/Serialization/Arrays}m_serializationArray',
    ],
    'session',
  );
  assertSameOrder(real, gen, 'EpuSession.dm');
  assert.ok(gen.paths.length > real.paths.length * 0.5, 'most of the real structure is present');
});

test('Atlas.dm: tiles, nodes and positions in the real structure', { skip }, () => {
  const real = structure(readFileSync(join(spa, 'Atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm'), 'utf8'));
  const gen = structure(generated('atlas'));
  assert.equal(gen.root, real.root);
  assertHas(
    gen,
    [
      'Atlas > AcquisitionDateTime',
      'StorageFolder',
      'Description',
      'TileXml > AtlasPixelPosition',
      'TileImageReference > {http://schemas.datacontract.org/2004/07/Fei.Applications.Common.Types}BaseFileName',
      'KeyValuePairs > {http://schemas.datacontract.org/2004/07/System.Collections.Generic}KeyValuePairOfintNodeXml30oatNZW',
      'PositionOnTheAtlas > {http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.GridAtlas.Datamodel}Center',
      'TilePositionXml > NodePosition',
      'TilePositionXml > TileId',
    ],
    'atlas',
  );
  assertSameOrder(real, gen, 'Atlas.dm');
});

test('Metadata/GridSquare_<id>.dm: target locations exactly as EPU serialises them', { skip }, () => {
  const real = structure(readFileSync(join(spa, 'GridSquare_4590776.dm'), 'utf8'));
  const gen = structure(generated('metadata'));
  assert.equal(gen.root, real.root);
  assertHas(
    gen,
    [
      'Position > {http://schemas.datacontract.org/2004/07/Fei.SharedObjects}X',
      'GridSquareImagePath',
      'Selected',
      'Unusable',
      'AtlasNodeId',
      'State',
      'Rotation',
      'KeyValuePairOfintTargetLocationXmlBpEWF4JT > {http://schemas.datacontract.org/2004/07/System.Collections.Generic}value > PixelCenter',
      'value > StagePosition',
      'value > IsNearGridBar',
      'value > PixelWidthHeight',
    ],
    'metadata',
  );
  assertSameOrder(real, gen, 'GridSquare metadata');
  // Every element of a real target location is present.
  const hole = (s: Structure): string[] => s.paths.filter((p) => p.includes('KeyValuePairOfintTargetLocation'));
  const genHole = new Set(hole(gen));
  const missing = hole(real).filter((p) => !genHole.has(p));
  assert.deepEqual(missing, [], 'target location elements missing');
});

test('GridSquare, FoilHole, Data and atlas Tile manifests: every element of the real MicroscopeImage, in order', { skip }, () => {
  const cases: [string, string, string][] = [
    ['gridsquare', firstFile(harvest, /^GridSquare_.*\.xml$/), 'GridSquare manifest'],
    ['foilhole', firstFile(join(dirExample, 'FoilHoles'), /\.xml$/), 'FoilHole manifest'],
    ['micrograph', firstFile(join(dirExample, 'Data'), /\.xml$/), 'Data manifest'],
    [
      'tile',
      firstFile(join(samples, 'EMharvest/_repo_data/atlas/Supervisor_20230919_115905_Atlas_bi23047-106/Sample2/Atlas'), /^Tile_.*\.xml$/),
      'atlas Tile manifest',
    ],
  ];
  for (const [kind, realPath, label] of cases) {
    const real = structure(readFileSync(realPath, 'utf8'));
    const gen = structure(generated(kind as 'gridsquare'));
    assert.equal(gen.root, real.root, label);
    const have = new Set(gen.paths);
    const missing = real.paths.filter((p) => !have.has(p));
    assert.deepEqual(missing, [], `${label}: elements of the real file missing`);
    assertSameOrder(real, gen, label);
  }
});
