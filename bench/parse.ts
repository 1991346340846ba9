/**
 * `npm run bench -- parse [micrographs=20000]`: whole-tree EPU parse throughput vs `xmllint --noout`.
 *
 * Builds (once, under bench/.work/) a visit of two grids by copying the real EPU files of ../shared/epu-samples
 * under new names: sessions, an atlas, Metadata/GridSquare_<id>.dm, and per square a GridSquare manifest, foil-hole
 * manifests and micrograph (Data) manifests. Then, on warm caches, times `parseEpuDirectory` (walk, classify, parse
 * on worker threads, assemble; peak RSS measured in a child process) against `xmllint --noout` over the same files
 * (one process, the baseline; two in parallel shown for information). Median of 3 runs each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SAMPLES = resolve(ROOT, '../shared/epu-samples');
const micrographTarget = Number(process.argv[2] ?? 20000);
const WORK = join(ROOT, 'bench/.work', `parse-tree-${micrographTarget}`);

if (!existsSync(SAMPLES)) {
  console.error(`bench parse: ${SAMPLES} not found (the real EPU samples are needed to build the tree)`);
  process.exit(1);
}

function ensureXmllint(): void {
  if (spawnSync('xmllint', ['--version']).status === 0) return;
  console.error('installing libxml2-utils for xmllint …');
  execFileSync('apt-get', ['install', '-y', '-q', 'libxml2-utils'], { stdio: 'inherit' });
}

function find(dir: string, test: (path: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) find(path, test, out);
    else if (test(path)) out.push(path);
  }
  return out.sort();
}

/** Copies real files under EPU names; returns the list of files written. */
function buildTree(): void {
  const marker = join(WORK, '.complete');
  if (existsSync(marker)) return;
  rmSync(WORK, { recursive: true, force: true });
  const data = find(SAMPLES, (p) => /\/Data\/FoilHole_\d+_Data_\d+_\d+_\d{8}_\d{6}\.xml$/.test(p));
  const holes = find(SAMPLES, (p) => /\/FoilHoles\/FoilHole_\d+_\d{8}_\d{6}\.xml$/.test(p));
  const squares = find(SAMPLES, (p) => /\/Images-Disc\d+\/GridSquare_\d+\/GridSquare_\d{8}_\d{6}\.xml$/.test(p));
  const session = join(SAMPLES, 'smartem-decisions/docs/assets/metadata_spa_acquisition/EPU_session/EpuSession.dm');
  const atlas = join(
    SAMPLES,
    'smartem-decisions/docs/assets/metadata_spa_acquisition/Atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas/Atlas.dm',
  );
  const metadata = join(SAMPLES, 'smartem-decisions/docs/assets/metadata_spa_acquisition/GridSquare_4590776.dm');
  const grids = 2;
  const micrographsPerHole = 10;
  const holesPerSquare = 20;
  const squaresPerGrid = Math.ceil(micrographTarget / (grids * holesPerSquare * micrographsPerHole));
  const atlasDir = join(WORK, 'atlas/Supervisor_20240404_093820_Pete_Miriam_HexAuFoil/Sample4/Atlas');
  mkdirSync(atlasDir, { recursive: true });
  copyFileSync(atlas, join(atlasDir, 'Atlas.dm'));
  let n = 0;
  let id = 5_000_000;
  for (let g = 0; g < grids; g++) {
    const grid = join(WORK, `Supervisor_20240405_115113_${g}_grid${g + 1}`);
    mkdirSync(join(grid, 'Metadata'), { recursive: true });
    copyFileSync(session, join(grid, 'EpuSession.dm'));
    for (let s = 0; s < squaresPerGrid; s++) {
      const gs = 4_590_000 + s;
      // Every tenth square has the 2.3 MB metadata file (570 holes), as targeted squares do.
      if (s % 10 === 0) copyFileSync(metadata, join(grid, 'Metadata', `GridSquare_${gs}.dm`));
      const sq = join(grid, 'Images-Disc1', `GridSquare_${gs}`);
      mkdirSync(join(sq, 'FoilHoles'), { recursive: true });
      mkdirSync(join(sq, 'Data'), { recursive: true });
      copyFileSync(squares[s % squares.length]!, join(sq, `GridSquare_20240406_${String(100000 + s).slice(-6)}.xml`));
      for (let h = 0; h < holesPerSquare; h++) {
        const fh = id++;
        copyFileSync(holes[(s + h) % holes.length]!, join(sq, 'FoilHoles', `FoilHole_${fh}_20240406_${String(110000 + h).slice(-6)}.xml`));
        for (let m = 0; m < micrographsPerHole && n < micrographTarget; m++, n++) {
          const loc = 9_000_000 + h * 100 + m;
          copyFileSync(
            data[n % data.length]!,
            join(sq, 'Data', `FoilHole_${fh}_Data_${loc}_${m + 1}_20240406_${String(120000 + n).slice(-6)}.xml`),
          );
        }
      }
    }
  }
  writeFileSync(marker, `${n}\n`);
}

function allFiles(): string[] {
  return find(WORK, (p) => p.endsWith('.xml') || p.endsWith('.dm'));
}

interface Timing {
  seconds: number;
  /** CPU seconds (user + system) of all processes / threads involved. */
  cpu: number;
}

/** xmllint over all files, 1000 per process, `parallel` processes at a time; CPU time from GNU time (children included). */
function timeXmllint(files: string[], parallel: number): Timing {
  const list = join(WORK, '..', 'parse-files.txt');
  writeFileSync(list, files.join('\0'));
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S', 'sh', '-c', `xargs -0 -n 1000 -P ${parallel} xmllint --noout < "${list}"`], {
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`xmllint failed: ${result.stderr}`);
  const [user, system] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number];
  return { seconds, cpu: user + system };
}

interface OurRun {
  seconds: number;
  cpu: number;
  files: number;
  bytes: number;
  maxRssMb: number;
  errors: number;
  micrographs: number;
}

function timeOurs(): OurRun {
  const script = `
    import { parseEpuDirectory } from '@smartem/epu';
    const t = performance.now();
    const c = process.cpuUsage();
    const r = await parseEpuDirectory(${JSON.stringify(WORK)});
    const seconds = (performance.now() - t) / 1000;
    const u = process.cpuUsage(c);
    console.log(JSON.stringify({ seconds, cpu: (u.user + u.system) / 1e6, files: r.files_parsed, bytes: r.bytes_parsed, errors: r.errors.length,
      micrographs: r.counts.micrographs, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const file = join(WORK, '..', 'parse-run.mts');
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as OurRun;
}

ensureXmllint();
console.error(`building the tree in ${WORK} (once) …`);
buildTree();
const files = allFiles();
const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
for (const f of files) readFileSync(f); // warm the page cache for both contenders

const xmllint1: Timing[] = [];
const xmllint2: Timing[] = [];
const ours: OurRun[] = [];
for (let i = 0; i < 3; i++) {
  xmllint1.push(timeXmllint(files, 1));
  ours.push(timeOurs());
  xmllint2.push(timeXmllint(files, 2));
}
const our = ours.sort((a, b) => a.seconds - b.seconds)[1]!;
if (our.errors > 0 || our.files !== files.length) {
  console.error(`parse reported ${our.errors} errors, ${our.files} of ${files.length} files parsed`);
  process.exitCode = 1;
}
const medianRun = <T extends Timing>(runs: T[]): T => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
const x1 = medianRun(xmllint1);
const x2 = medianRun(xmllint2);
const mb = totalBytes / 1e6;
const row = (name: string, t: Timing, extra = ''): string =>
  `${name.padEnd(40)} ${t.seconds.toFixed(2).padStart(7)} s ${(files.length / t.seconds).toFixed(0).padStart(7)} files/s ` +
  `${(mb / t.seconds).toFixed(1).padStart(6)} MB/s  cpu ${t.cpu.toFixed(2).padStart(6)} s ${extra}`;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `tree: ${files.length} files (${our.micrographs} micrograph manifests), ${mb.toFixed(1)} MB; median of 3 runs, warm cache; load average ${load}`,
);
console.log(row('parseEpuDirectory (workers, whole tree)', our, `peak RSS ${our.maxRssMb.toFixed(0)} MB`));
console.log(row('xmllint --noout (1 process, baseline)', x1));
console.log(row('xmllint --noout (2 processes, info)', x2));
console.log(`cpu: parseEpuDirectory uses ${(our.cpu / x1.cpu).toFixed(2)}x the CPU time of xmllint --noout`);
console.log(
  `ratio: parseEpuDirectory is ${(x1.seconds / our.seconds).toFixed(2)}x the speed of xmllint --noout (target ≥ 1.00; memory ${our.maxRssMb.toFixed(0)} MB, target < 300)`,
);
