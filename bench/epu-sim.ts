// npm run bench -- epu-sim [MICROGRAPHS]   (default 50,000: 100 squares × 100 holes × 5 shots)
// Generate and `play --fast` a visit, next to a baseline measured in the same run: plain fs.writeFile of the same
// number of files of the same average size (same concurrency, ~1,000 files per directory). Targets: generate
// 50,000 micrographs < 60 s, play --fast < 120 s.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateVisit, playVisit } from '@smartem/epu-sim';

const micrographs = Number(process.argv[2] ?? 50_000);
const shots = 5;
const holes = 100;
const squares = Math.max(1, Math.round(micrographs / (holes * shots)));
const work = mkdtempSync(join(tmpdir(), 'bench-epu-sim-'));

async function baseline(files: number, size: number, dir: string): Promise<number> {
  const body = Buffer.alloc(size, 0x61);
  const started = performance.now();
  for (let d = 0; d * 1000 < files; d++) mkdirSync(join(dir, `d${d}`), { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files) {
      const i = next++;
      await writeFile(join(dir, `d${Math.floor(i / 1000)}`, `f${i}.xml`), body);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return performance.now() - started;
}

try {
  const gen = await generateVisit({ out: join(work, 'generate'), squares, holesPerSquare: holes, shotsPerHole: shots });
  rmSync(join(work, 'generate'), { recursive: true, force: true });
  const play = await playVisit({ out: join(work, 'play'), squares, holesPerSquare: holes, shotsPerHole: shots, fast: true });
  rmSync(join(work, 'play'), { recursive: true, force: true });
  const avg = Math.round(gen.bytes / gen.files);
  const baseMs = await baseline(gen.files, avg, join(work, 'baseline'));
  rmSync(join(work, 'baseline'), { recursive: true, force: true });
  const rate = (files: number, ms: number): number => Math.round(files / (ms / 1000));
  const rows = [
    ['generate', gen.files, gen.bytes, gen.elapsedMs],
    ['play --fast', play.writes, play.bytes, play.elapsedMs],
    ['baseline fs.writeFile', gen.files, gen.files * avg, baseMs],
  ] as const;
  console.log(
    `visit: ${gen.counts.micrographs} micrographs, ${gen.counts.foilHolesCollected} foil holes, ${gen.counts.gridSquares} squares; ${gen.files} files, avg ${avg} B`,
  );
  console.log('| run | files | MB | seconds | files/s |');
  console.log('|---|---|---|---|---|');
  for (const [name, files, bytes, ms] of rows)
    console.log(`| ${name} | ${files} | ${(bytes / 1e6).toFixed(0)} | ${(ms / 1000).toFixed(1)} | ${rate(files, ms)} |`);
  console.log(
    `targets: generate ${(gen.elapsedMs / 1000).toFixed(1)} s (< 60 s for 50k), play --fast ${(play.elapsedMs / 1000).toFixed(1)} s (< 120 s)`,
  );
  console.log(
    `generate files/s ÷ baseline fs.writeFile files/s = ${(rate(gen.files, gen.elapsedMs) / rate(gen.files, baseMs)).toFixed(2)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
