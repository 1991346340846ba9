/**
 * Ingest benchmark: a simulated visit (default 50,000 micrographs, `generateVisit`), parsed by `@smartem/epu`, loaded
 * through the batch API of a `smartem backend api` child process into PostgreSQL with its events published to
 * RabbitMQ through the outbox — measured until the outbox is drained — next to a plain server-side `COPY` of the same
 * rows into the same tables in the same run.
 *
 *   npm run bench -- ingest [--micrographs N] [--batch 1000] [--concurrency 2] [--queue-version 2] [--node-options '--max-old-space-size=192'] [--keep]
 *
 * `--batch 1000` is what the agent sends per request; the request bodies are serialised before the clock starts, as
 * the baseline's CSV files are written before its clock starts. `--queue-version 2` applies a RabbitMQ policy
 * (`rabbitmqctl set_policy … '{"queue-version":2}'`, as docs/bus.md recommends for `smartem_backend`) to the scratch
 * queue for the run; `1` runs on the broker's default classic queue.
 * Needs DATABASE_URL (a PostgreSQL superuser on this machine: COPY reads files the bench writes), AMQP_URL, and
 * `rabbitmqctl` on this machine for `--queue-version 2`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Connection } from 'rabbitmq-client';
import { generateVisit } from '@smartem/epu-sim';
import { parseEpuDirectory, type AssembledEntity } from '@smartem/epu';
import { isEntityKind, KIND_ORDER, KINDS, parentsOf, type Kind } from '@smartem/common';
import { createScratchPostgres } from '../packages/backend/test/support/databases.ts';

const { values: args } = parseArgs({
  options: {
    micrographs: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '1000' },
    'queue-version': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    /** `NAME=VALUE`, repeatable: `ALTER DATABASE … SET` on the scratch database before the API starts (e.g. `log_min_duration_statement=0`). */
    'database-setting': { type: 'string', multiple: true, default: [] },
    /** Node flags of the API process, e.g. `--max-old-space-size=192` (what a container memory limit would set), `--cpu-prof`. */
    'node-options': { type: 'string', default: '' },
  },
});
const DATABASE_URL = process.env.DATABASE_URL;
const AMQP_URL = process.env.AMQP_URL;
if (!DATABASE_URL || !AMQP_URL) {
  console.error('bench ingest: set DATABASE_URL and AMQP_URL (as .ci/run does)');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;

type Item = Record<string, unknown>;
/** Route → items, parent-before-child (the order the agent syncs in). */
type Load = Array<[route: string, table: string, items: Item[]]>;

/**
 * The visit's entities (the EPU assembler's, what `smartem agent watch` sends for the same tree) → batch items: each
 * entity with a fresh uuid (kinds that have one) and its parents' uuids, kind by kind, parents first.
 */
function toBatchItems(entities: Map<string, AssembledEntity>): Load {
  const uuids = new Map<string, string>();
  for (const e of entities.values()) uuids.set(e.key, randomUUID());
  const byKind = new Map<Kind, Item[]>(KIND_ORDER.map((kind) => [kind, []]));
  for (const e of entities.values()) {
    const item: Item = { ...e.fields };
    if (isEntityKind(e.kind)) item.uuid = uuids.get(e.key);
    parentsOf(e.kind).forEach(({ field }, i) => {
      item[field] = uuids.get(e.parents[i]!);
    });
    byKind.get(e.kind)!.push(item);
  }
  // Tables are named by kind, but for the tile ↔ square links.
  return KIND_ORDER.map((kind) => [KINDS[kind].route, kind === 'position' ? 'atlastilegridsquareposition' : kind, byKind.get(kind)!]);
}

function startApi(databaseUrl: string, queue: string): Promise<{ child: ChildProcess; url: string }> {
  // Node flags as arguments, not NODE_OPTIONS, which refuses some (`--cpu-prof`).
  const nodeFlags = args['node-options'].split(/\s+/).filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      join(root, 'packages/cli/bin/smartem.js'),
      'backend',
      'api',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--insecure',
      '--queue',
      queue,
    ],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, AMQP_URL, SMARTEM_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`smartem backend api exited with ${code} before listening`)));
  });
}

/** Resident set of a process in bytes, from /proc (0 once it has exited). */
function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s on Linux). */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds per process id of every process named `comm` (PostgreSQL backends, the RabbitMQ VM), from /proc. */
function cpuByName(comm: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) out.set(Number(entry), cpuSecondsOf(Number(entry)));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU used since `before` by the processes named `comm` still alive (a process started since counts from zero). */
function cpuSince(comm: string, before: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of cpuByName(comm)) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** Peak resident set of a process, sampled from /proc. */
function rssMonitor(pid: number) {
  let peak = 0;
  const read = () => {
    peak = Math.max(peak, rssOf(pid));
  };
  const timer = setInterval(read, 50);
  return {
    stop: () => {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}

/** Request bodies per route, serialised before the clock starts (as the baseline's CSV files are written before its). */
type Requests = Array<[route: string, bodies: string[]]>;

function toRequests(load: Load, batchSize: number): Requests {
  return load.map(([route, , items]) => {
    const bodies: string[] = [];
    for (let i = 0; i < items.length; i += batchSize) bodies.push(JSON.stringify({ items: items.slice(i, i + batchSize) }));
    return [route, bodies];
  });
}

async function postAll(url: string, requests: Requests, concurrency: number): Promise<number> {
  let rejected = 0;
  for (const [route, bodies] of requests) {
    let next = 0;
    const lane = async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(`${url}/batch/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`POST /batch/${route}: ${res.status} ${(await res.text()).slice(0, 500)}`);
        const { results } = (await res.json()) as { results: Array<{ outcome: string }> };
        rejected += results.filter((r) => r.outcome === 'rejected').length;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  }
  return rejected;
}

/** Makes `queue` a classic queue of the given version through a policy (undo with the returned function). */
function queueVersionPolicy(queue: string, version: string): () => void {
  if (version === '1') return () => {};
  if (version !== '2') throw new Error(`--queue-version: ${version} is not 1 or 2`);
  const name = `${queue}-version`;
  execFileSync('rabbitmqctl', ['set_policy', name, `^${queue}$`, '{"queue-version":2}', '--apply-to', 'queues'], { stdio: 'ignore' });
  return () => execFileSync('rabbitmqctl', ['clear_policy', name], { stdio: 'ignore' });
}

async function waitForOutboxDrained(client: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const csvValue = (v: unknown) => (v === null || v === undefined ? '' : `"${String(v).replace(/"/g, '""')}"`);

/** Baseline: the same rows, written as CSV, then timed server-side `COPY … FROM` into the same (emptied) tables. */
async function copyBaseline(client: pg.Client, load: Load, dir: string): Promise<number> {
  await client.query('TRUNCATE acquisition, outbox CASCADE');
  const files: Array<[string, string[], string]> = [];
  for (const [, table, items] of load) {
    // Absent fields are not sent (nor nulls): one file per set of fields, so the table's defaults fill the others.
    const byColumns = new Map<string, Item[]>();
    for (const it of items) {
      const key = Object.keys(it).join(',');
      const group = byColumns.get(key);
      if (group) group.push(it);
      else byColumns.set(key, [it]);
    }
    for (const [key, group] of byColumns) {
      const columns = key.split(',');
      const path = join(dir, `${table}-${files.length}.csv`);
      writeFileSync(path, group.map((it) => columns.map((c) => csvValue(it[c])).join(',')).join('\n'));
      chmodSync(path, 0o644);
      files.push([table, columns, path]);
    }
  }
  const started = performance.now();
  await client.query('BEGIN');
  for (const [table, columns, path] of files) {
    await client.query(`COPY ${table} (${columns.join(', ')}) FROM '${path}' WITH (FORMAT csv)`);
  }
  await client.query('COMMIT');
  return performance.now() - started;
}

async function main(): Promise<void> {
  const micrographs = Number(args.micrographs);
  const shotsPerHole = 4,
    holesPerSquare = 50;
  const squares = Math.max(1, Math.ceil(micrographs / (shotsPerHole * holesPerSquare)));
  const work = mkdtempSync(join(tmpdir(), 'smartem-bench-ingest-'));
  chmodSync(work, 0o755);
  const scratch = await createScratchPostgres(DATABASE_URL);
  const queue = `smartem_bench_${randomUUID().slice(0, 8)}`;
  let api: { child: ChildProcess; url: string } | undefined;
  const clearPolicy = queueVersionPolicy(queue, args['queue-version']);
  const client = new pg.Client({ connectionString: scratch.url });
  try {
    const t0 = performance.now();
    await generateVisit({ out: join(work, 'visit'), squares, holesPerSquare, shotsPerHole, seed: 7 });
    const t1 = performance.now();
    const parse = await parseEpuDirectory(join(work, 'visit'), { entities: true });
    const t2 = performance.now();
    const load = toBatchItems(parse.entities!);
    const entities = load.reduce((n, [, , items]) => n + items.length, 0);
    const eventCount = load
      .filter(([route]) => route !== 'atlas-tile-gridsquare-positions')
      .reduce((n, [, , items]) => n + items.length, 0);

    await client.connect();
    for (const setting of args['database-setting']) {
      const [, name, value] = /^(\w+)=(.*)$/.exec(setting) ?? [];
      if (!name) throw new Error(`--database-setting: ${setting} is not NAME=VALUE`);
      await client.query(`ALTER DATABASE ${client.database} SET ${name} = ${pg.escapeLiteral(value)}`);
    }
    const requests = toRequests(load, Number(args.batch));
    api = await startApi(scratch.url, queue);
    const idleRss = rssOf(api.child.pid!);
    const idleCpu = cpuSecondsOf(api.child.pid!);
    const rss = rssMonitor(api.child.pid!);
    const postgresCpu = cpuByName('postgres'),
      brokerCpu = cpuByName('beam.smp'),
      benchCpu = process.cpuUsage();
    const startedApi = performance.now();
    const rejected = await postAll(api.url, requests, Number(args.concurrency));
    const acknowledged = performance.now();
    await waitForOutboxDrained(client);
    const drained = performance.now();
    const peakRss = rss.stop();
    const apiCpu = cpuSecondsOf(api.child.pid!) - idleCpu;
    const otherCpu = {
      postgres: cpuSince('postgres', postgresCpu),
      broker: cpuSince('beam.smp', brokerCpu),
      bench: ((c) => (c.user + c.system) / 1e6)(process.cpuUsage(benchCpu)),
    };

    const amqp = new Connection(AMQP_URL!);
    const declared = await amqp.queueDeclare({ queue, passive: true });
    await amqp.queueDelete({ queue });
    await amqp.queueDelete({ queue: `${queue}.dlq` });
    await amqp.close();

    api.child.kill('SIGTERM');
    await new Promise((r) => api!.child.once('exit', r));
    api = undefined;
    const copyMs = await copyBaseline(client, load, work);

    const apiSeconds = (drained - startedApi) / 1000;
    const apiRate = entities / apiSeconds;
    const copyRate = entities / (copyMs / 1000);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const row = (label: string, value: string) => console.log(`${label.padEnd(52)} ${value}`);
    console.log(
      `\ningest benchmark: ${parse.counts.micrographs} micrographs (${squares} squares × ${holesPerSquare} holes × ${shotsPerHole} shots)`,
    );
    row('generate visit (epu-sim)', `${((t1 - t0) / 1000).toFixed(1)} s`);
    row('parse visit (@smartem/epu)', `${((t2 - t1) / 1000).toFixed(1)} s, ${parse.files_parsed} files`);
    row('entities sent (8 batch routes)', `${entities} (${load.map(([r, , i]) => `${r} ${i.length}`).join(', ')})`);
    row('rejected items', String(rejected));
    row(
      'requests',
      `${args.batch} items each (JSON bodies built before the clock starts), ${args.concurrency} at a time; RabbitMQ classic queue v${args['queue-version']}`,
    );
    row('batch API: all requests acknowledged', `${((acknowledged - startedApi) / 1000).toFixed(1)} s`);
    row('batch API + outbox drained to RabbitMQ (end to end)', `${apiSeconds.toFixed(1)} s = ${apiRate.toFixed(0)} entities/s`);
    row('API process CPU during the load (user + system)', `${apiCpu.toFixed(1)} s`);
    row(
      'CPU of PostgreSQL / RabbitMQ / this load generator',
      `${otherCpu.postgres.toFixed(1)} s / ${otherCpu.broker.toFixed(1)} s / ${otherCpu.bench.toFixed(1)} s`,
    );
    row('events in the RabbitMQ queue', `${declared.messageCount} (expected ${eventCount})`);
    row('API process RSS: listening, idle / peak', `${mb(idleRss)} / ${mb(peakRss)}`);
    row('baseline: plain COPY of the same rows (same tables)', `${(copyMs / 1000).toFixed(2)} s = ${copyRate.toFixed(0)} entities/s`);
    console.log(
      `end-to-end rate / COPY rate: ${((apiRate / copyRate) * 100).toFixed(1)} % (${apiRate.toFixed(0)} vs ${copyRate.toFixed(0)} entities/s; targets ≥ 5,000/s and ≥ 25 %, RSS < 300 MB)`,
    );
  } finally {
    if (api) api.child.kill('SIGKILL');
    clearPolicy();
    await client.end().catch(() => {});
    await scratch.drop();
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
}

await main();
