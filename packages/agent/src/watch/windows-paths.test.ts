// The agent runs on the EPU workstation (Windows): the path logic must give the same answers for `\`-separated paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { win32 } from 'node:path';
import { classifyEpuPath, locateAtlas } from '@smartem/epu';

const root = 'D:\\EPU\\bi23047-106';
const files = [
  'Supervisor_20230919_140141_84_bi23047-106_grid1\\EpuSession.dm',
  'Supervisor_20230919_140141_84_bi23047-106_grid1\\Metadata\\GridSquare_19493759.dm',
  'Supervisor_20230919_140141_84_bi23047-106_grid1\\Images-Disc2\\GridSquare_19493759\\GridSquare_20230919_140816.xml',
  'Supervisor_20230919_140141_84_bi23047-106_grid1\\Images-Disc2\\GridSquare_19493759\\FoilHoles\\FoilHole_19507368_20230919_142541.xml',
  'Supervisor_20230919_140141_84_bi23047-106_grid1\\Images-Disc2\\GridSquare_19493759\\Data\\FoilHole_19513699_Data_19508496_19508498_20230919_154056.xml',
  'atlas\\Supervisor_20230919_115905_Atlas_bi23047-106\\Sample2\\Atlas\\Atlas.dm',
];

test('a path relative to a Windows watch root classifies like its POSIX form (kind, grid, ids)', () => {
  for (const rel of files) {
    // What the file queue computes on Windows: path.relative of two absolute Windows paths.
    const fromWatch = win32.relative(root, win32.join(root, rel));
    assert.equal(fromWatch, rel);
    const windows = classifyEpuPath(fromWatch);
    const posix = classifyEpuPath(rel.replaceAll('\\', '/'));
    assert.ok(windows, `classified: ${rel}`);
    assert.deepEqual(windows, posix, rel);
  }
  // The single-grid case: an atlas beside the watched grid directory is reached with `..`.
  const atlas = classifyEpuPath(win32.relative(`${root}\\Supervisor_20230919_140141_84_bi23047-106_grid1`, `${root}\\${files[5]}`));
  assert.equal(atlas?.kind, 'atlas');
});

test("a session's Windows AtlasId finds the atlas under the watched directory, case-insensitively", () => {
  const atlasId = 'Z:\\bi23047-106\\atlas\\Supervisor_20230919_115905_Atlas_bi23047-106\\Sample2\\Atlas\\Atlas.dm';
  const grid = '/visit/Supervisor_20230919_140141_84_bi23047-106_grid1';
  const sample2 = '/visit/atlas/Supervisor_20230919_115905_Atlas_bi23047-106/Sample2/Atlas/Atlas.dm';
  const upper = '/visit/ATLAS/supervisor_20230919_115905_atlas_bi23047-106/Sample2/Atlas/Atlas.dm';
  const sample3 = '/visit/atlas/Supervisor_20230919_115905_Atlas_bi23047-106/Sample3/Atlas/Atlas.dm';
  assert.equal(locateAtlas(grid, atlasId, [sample2]), sample2);
  assert.equal(locateAtlas(grid, atlasId, [upper]), upper);
  assert.equal(locateAtlas(grid, atlasId, [sample3]), null, 'another sample');
});
