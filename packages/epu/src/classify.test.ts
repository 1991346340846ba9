import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyEpuPath } from './classify.ts';

test('every EPU file kind, POSIX and Windows separators, with the ids from the path', () => {
  const grid = '/data/bi1/Supervisor_20250108_101446_62_grid1';
  assert.deepEqual(classifyEpuPath(`${grid}/EpuSession.dm`), { kind: 'session', path: `${grid}/EpuSession.dm`, grid_dir: grid });
  assert.deepEqual(classifyEpuPath('Z:\\bi1\\grid1\\EpuSession.dm'), {
    kind: 'session',
    path: 'Z:/bi1/grid1/EpuSession.dm',
    grid_dir: 'Z:/bi1/grid1',
  });
  assert.deepEqual(classifyEpuPath('Z:\\bi1\\atlas\\Supervisor_1\\Sample4\\Atlas\\Atlas.dm')?.kind, 'atlas');
  assert.equal(classifyEpuPath('/a/Atlas/Atlas.dm')?.grid_dir, null);
  assert.deepEqual(classifyEpuPath(`${grid}/Metadata/GridSquare_4590776.dm`), {
    kind: 'gridsquare-metadata',
    path: `${grid}/Metadata/GridSquare_4590776.dm`,
    grid_dir: grid,
    gridsquare_id: '4590776',
  });
  assert.equal(classifyEpuPath('Metadata\\GridSquare_7.dm')?.grid_dir, '');
  assert.deepEqual(classifyEpuPath(`${grid}\\Images-Disc2\\GridSquare_8999138\\GridSquare_20250108_151151.xml`), {
    kind: 'gridsquare-manifest',
    path: `${grid}/Images-Disc2/GridSquare_8999138/GridSquare_20250108_151151.xml`,
    grid_dir: grid,
    images_disc: 2,
    gridsquare_id: '8999138',
    timestamp: '20250108_151151',
  });
  assert.deepEqual(classifyEpuPath(`${grid}/Images-Disc1/GridSquare_8999138/FoilHoles/FoilHole_9015889_20250108_154725.xml`), {
    kind: 'foilhole-manifest',
    path: `${grid}/Images-Disc1/GridSquare_8999138/FoilHoles/FoilHole_9015889_20250108_154725.xml`,
    grid_dir: grid,
    images_disc: 1,
    gridsquare_id: '8999138',
    foilhole_id: '9015889',
    timestamp: '20250108_154725',
  });
});

test('both Data name forms are micrographs; Fractions.xml, images and other files are not', () => {
  const small = classifyEpuPath('g/Images-Disc1/GridSquare_8999138/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.xml');
  assert.equal(small?.kind, 'micrograph-manifest');
  assert.deepEqual(
    [small?.foilhole_id, small?.location_id, small?.gridsquare_id, small?.timestamp, small?.grid_dir],
    ['9015883', '9017347', '8999138', '20250108_154915', 'g'],
  );
  const idForm = classifyEpuPath(
    'C:\\g\\Images-Disc1\\GridSquare_19493759\\Data\\FoilHole_19513699_Data_19508496_19508498_20230919_154056.xml',
  );
  assert.equal(idForm?.kind, 'micrograph-manifest');
  assert.deepEqual([idForm?.foilhole_id, idForm?.location_id, idForm?.grid_dir], ['19513699', '19508496', 'C:/g']);
  for (const path of [
    'g/Images-Disc1/GridSquare_1/Data/FoilHole_9015883_Data_9017347_6_20250108_154915_Fractions.xml',
    'g/Images-Disc1/GridSquare_1/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.jpg',
    'g/Images-Disc1/GridSquare_1/Data/FoilHole_9015883_Data_9017347_6_20250108_154915.mrc',
    'g/Images-Disc1/GridSquare_1/GridSquare_20250108_151151.jpg',
    'g/Images-Disc1/GridSquare_1/FoilHoles/FoilHole_9015889_20250108_154725.jpg',
    'g/Metadata/GridSquare_20240406_102420.xml',
    'g/EpuSession.dm.bak',
    'atlas/Sample1/Sample.dm',
    'atlas/ScreeningSession.dm',
  ]) {
    assert.equal(classifyEpuPath(path), null, path);
  }
});
