// The EntityAssembler's answer does not depend on the order files arrive in (the watch reads them as the file system
// reports them, the directory parse in bulk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { addContributions, classifyEpuPath, EntityAssembler, parseClassified, type AssembledEntity } from '@smartem/epu';
import { EMHARVEST_GRID, MERGER, sample, SAMPLES, SKIP_SAMPLES } from './samples.ts';

/** Two micrograph manifests of two microscopes (TITAN52339260 and TITAN52336320). */
const MANIFESTS = [
  `${MERGER}/data/Images-Disc1/GridSquare_1/Data/FoilHole_31936318_Data_31923952_31923954_20240831_200411.xml`,
  `${EMHARVEST_GRID}/Images-Disc1/GridSquare_19493759/Data/FoilHole_19513699_Data_19508496_19508498_20230919_154056.xml`,
];

function acquisitionAfter(paths: string[]): AssembledEntity | undefined {
  const assembler = new EntityAssembler(SAMPLES);
  const entities = new Map<string, AssembledEntity>();
  for (const path of paths) {
    const file = classifyEpuPath(path)!;
    addContributions(entities, assembler.contributions(parseClassified(file, readFileSync(sample(path)), sample(path))));
  }
  return entities.get('acq');
}

test('the acquisition gets the instrument of the first image manifest by path, whatever the arrival order', { skip: SKIP_SAMPLES }, () => {
  const inOrder = acquisitionAfter(MANIFESTS);
  const reversed = acquisitionAfter([...MANIFESTS].reverse());
  assert.deepEqual(reversed, inOrder);
  const first = [...MANIFESTS].sort()[0]!;
  const fields: Record<string, unknown> = inOrder?.fields ?? {};
  assert.equal(fields.computer_name, first.startsWith(MERGER) ? 'TITAN52339260' : 'TITAN52336320');
});
