/** Where the real EPU files are (read in place, never copied into the repository). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SAMPLES = resolve(import.meta.dirname, '../../../../shared/epu-samples');
export const HAVE_SAMPLES = existsSync(join(SAMPLES, 'README.md'));
/** For `test(name, { skip: SKIP_SAMPLES }, …)`: a message when the samples are absent. */
export const SKIP_SAMPLES = HAVE_SAMPLES
  ? false
  : `real EPU samples not found at ${SAMPLES} (../shared/epu-samples from the repository root)`;

export const sample = (...parts: string[]): string => join(SAMPLES, ...parts);

export const SPA = 'smartem-decisions/docs/assets/metadata_spa_acquisition';
export const MOCKS = 'smartem-decisions/tests/testdata/epumocks';
export const DIR_EXAMPLE = 'smartem-decisions/tests/testdata/epu-dir-example';
export const EMHARVEST = 'EMharvest/_repo_data';
export const EMHARVEST_GRID = `${EMHARVEST}/Supervisor_20230919_140141_84_bi23047-106_grid1`;
export const EMHARVEST_ATLAS = `${EMHARVEST}/atlas/Supervisor_20230919_115905_Atlas_bi23047-106`;
export const MERGER = 'epu_dataset_merger/testing/Y/spa';
