#!/usr/bin/env node
// Runs every *.test.ts under packages/*/src and packages/*/test with node's test runner through tsx, on the
// TypeScript sources: the `smartem-source` export condition makes workspace imports resolve to src/, not dist/.
// Extra arguments filter by path substring; arguments starting with `-` go to every test process (e.g.
// `--test-name-pattern=…`, `--test-reporter=spec`), except the runner's own:
//   --test-concurrency=N  files run at once (2)
//   --test-timeout=MS     a file still running after MS is stopped and fails (600000)
//   --update-durations    write the measured durations of the files that passed into scripts/test-durations.json
//   --dry-run             print the order and the makespan it is expected to take, with alphabetical order's; run nothing
// The runner schedules the files itself (`node --test` sorts them by name, so a long file named late would start
// last): the longest files by scripts/test-durations.json start first, and each free slot takes the next file.
// A file not in the list yet may be a new real-process test, so it counts as long and starts first (by name).
// Each file runs in its own process, as under `node --test`; its output is printed in one piece when it ends.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const durationsFile = join(root, 'scripts/test-durations.json');
const args = process.argv.slice(2);
const own = (name) => args.find((a) => a === name || a.startsWith(`${name}=`));
const ownValue = (name, fallback) => {
  const arg = own(name);
  const value = arg?.includes('=') ? Number(arg.slice(name.length + 1)) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`run-tests: ${name} must be a positive whole number, got ${arg}`);
    process.exit(2);
  }
  return value;
};
const OWN = ['--test-concurrency', '--test-timeout', '--update-durations', '--dry-run'];
const isOwn = (a) => OWN.some((name) => a === name || a.startsWith(`${name}=`));
const concurrency = ownValue('--test-concurrency', 2);
const timeoutMs = ownValue('--test-timeout', 600_000);
const filters = args.filter((a) => !a.startsWith('-'));
const passThrough = args.filter((a) => a.startsWith('-') && !isOwn(a));
if (process.stdout.isTTY && !passThrough.some((a) => a.startsWith('--test-reporter'))) passThrough.push('--test-reporter=spec');

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  collect(join(root, 'packages', pkg, 'src'), files);
  collect(join(root, 'packages', pkg, 'test'), files);
}
const selected = files
  .map((f) => f.slice(root.length))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

/** Seconds per file from an earlier run: { "packages/…/x.test.ts": 12.3, … }. */
const known = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {};
const expected = (f) => known[f] ?? Number.POSITIVE_INFINITY;
// Stable sort: equal (and unknown) durations keep the alphabetical order.
const order = [...selected].sort((a, b) => expected(b) - expected(a));

/** When `list` would end on `concurrency` slots that each take the next file when free, by the known durations. */
function makespan(list) {
  const slots = new Array(concurrency).fill(0);
  for (const f of list) {
    const i = slots.indexOf(Math.min(...slots));
    slots[i] += known[f] ?? 0;
  }
  return Math.max(...slots);
}

if (own('--dry-run')) {
  for (const f of order) console.log(`${known[f] === undefined ? '     ?' : known[f].toFixed(1).padStart(6)} s  ${f}`);
  const unknown = selected.filter((f) => known[f] === undefined).length;
  console.log(
    `expected makespan on ${concurrency} slots: ${makespan(order).toFixed(0)} s longest first, ${makespan(selected).toFixed(0)} s alphabetical` +
      (unknown ? ` (${unknown} files without a duration count as 0 s)` : ''),
  );
  process.exit(0);
}

// Through NODE_OPTIONS the condition reaches every process the tests start too (`node packages/cli/bin/smartem.js …`).
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=smartem-source`.trim() };
const running = new Set();
const results = [];
const started = Date.now();

/** Runs one file in its own process group (so a timeout stops what it started too); resolves with its result. */
function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', ...passThrough, file], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGTERM');
      setTimeout(() => signalGroup(child, 'SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const seconds = (Date.now() - t0) / 1000;
      const ok = code === 0 && !timedOut;
      const why = timedOut ? `stopped after ${timeoutMs} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
      process.stdout.write(Buffer.concat(output));
      console.log(`# ${file}: ${ok ? 'ok' : `FAILED (${why})`} in ${seconds.toFixed(1)} s`);
      resolve({ file, ok, seconds, output: Buffer.concat(output).toString() });
    });
  });
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) signalGroup(child, signal);
    process.exit(1);
  });
}

const queue = [...order];
async function slot() {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await runFile(file));
}
await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, slot));

// Totals over the files' own summaries (TAP `# pass 3`, spec `ℹ pass 3`).
const totals = {};
for (const { output } of results) {
  for (const [, name, n] of output.matchAll(/^(?:# |ℹ )(tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
    totals[name] = (totals[name] ?? 0) + Number(n);
  }
}
const failed = results.filter((r) => !r.ok);
const counts = Object.entries(totals).map(([name, n]) => `, ${name} ${n}`);
console.log(`# ${results.length} files in ${((Date.now() - started) / 1000).toFixed(0)} s on ${concurrency} slots${counts.join('')}`);
for (const r of failed) console.log(`# FAILED: ${r.file}`);

if (own('--update-durations')) {
  const next = { ...known };
  for (const r of results) if (r.ok) next[r.file] = Math.round(r.seconds * 10) / 10;
  for (const f of Object.keys(next)) if (!files.includes(join(root, f))) delete next[f];
  const sorted = Object.fromEntries(Object.entries(next).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
  writeFileSync(durationsFile, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`# durations of ${results.filter((r) => r.ok).length} files written to scripts/test-durations.json`);
}
process.exit(failed.length > 0 ? 1 : 0);
