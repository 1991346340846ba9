// `generateVisit`: the final state of a whole visit, written as fast as the disk takes it.
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildVisit, type VisitOptions } from './model.ts';
import { buildPlan, type PlanFile } from './plan.ts';
import { GROUND_TRUTH_FILE, groundTruthCsv } from './ground-truth.ts';
import { summarise, type GeneratedVisit } from './summary.ts';

export interface GenerateOptions extends VisitOptions {
  /** Output directory (the visit root: `atlas/` and one `Supervisor_…_EPU/` per grid go inside). */
  out: string;
  /** Called every ~1,000 files with files written so far and the total. */
  onProgress?: (written: number, total: number) => void;
}

/** Concurrent writes in flight: enough to keep the libuv pool busy without holding many documents in memory. */
const WRITE_CONCURRENCY = 16;

export async function generateVisit(opts: GenerateOptions): Promise<GeneratedVisit> {
  const started = performance.now();
  const root = resolve(opts.out);
  const visit = buildVisit(opts);
  const plan = buildPlan(visit);
  const finals = new Map<string, PlanFile>();
  for (const entry of plan) {
    if (entry.type === 'dir') mkdirSync(join(root, entry.path), { recursive: true });
    else finals.set(entry.path, entry);
  }
  const files = [...finals.values()];
  let bytes = 0;
  let written = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++];
      const content = file.content();
      bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.length;
      await writeFile(join(root, file.path), content);
      written++;
      if (opts.onProgress && written % 1000 === 0) opts.onProgress(written, files.length);
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, worker));
  const truthPath = join(root, GROUND_TRUTH_FILE);
  const truth = groundTruthCsv(visit);
  await writeFile(truthPath, truth);
  opts.onProgress?.(written, files.length);
  return {
    ...summarise(visit, root),
    groundTruthCsv: truthPath,
    files: files.length + 1,
    bytes: bytes + Buffer.byteLength(truth),
    elapsedMs: performance.now() - started,
  };
}
