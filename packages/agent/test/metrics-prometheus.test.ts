// Metrics end to end: a real Prometheus scrapes a running `smartem up` and a running `smartem agent watch
// --metrics-port 0` every second while a simulated visit is synced; the answers come from Prometheus's query API.
// Both endpoints' output passes `promtool check metrics`. Skips when Debian's `prometheus` package is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyEpuPath } from '@smartem/epu';
import { freePort, startAgent, startBackend } from './support/processes.ts';
import { playWithHooks, SMALL_VISIT, tempDir } from './support/scenario.ts';

const missing = ['prometheus', 'promtool'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = missing.length ? `${missing.join(' and ')} not installed (Debian package prometheus)` : false;

async function promtoolCheck(url: string): Promise<void> {
  const body = await (await fetch(url)).text();
  const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics ${url}:\n${check.stdout}${check.stderr}`);
}

/** Files under `dir` the agent reads (EPU manifests), however deep. */
async function epuFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && classifyEpuPath(relative(dir, join(e.parentPath, e.name))) !== null).length;
}

async function query(prometheus: string, expr: string): Promise<number | undefined> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; data?: { result: Array<{ value: [number, string] }> } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  const first = body.data?.result[0];
  return first ? Number(first.value[1]) : undefined;
}

test('Prometheus scrapes the API and the agent while a visit is synced', { skip, timeout: 300_000 }, async () => {
  const tmp = await tempDir('smartem-metrics-');
  const backend = await startBackend(join(tmp.path, 'db'));
  const visit = join(tmp.path, 'visit');
  await playWithHooks({ out: visit, seed: 21, fast: true, ...SMALL_VISIT });
  const written = await epuFiles(visit);
  const agent = startAgent(visit, backend.url, join(tmp.path, 'state'), ['--metrics-port', '0']);
  let prometheusProc: ReturnType<typeof spawn> | undefined;
  try {
    let metricsUrl: string | undefined;
    for (let i = 0; i < 600 && !metricsUrl; i++) {
      metricsUrl = /metrics on (http:\/\/[\d.]+:\d+)\/metrics/.exec(agent.output())?.[1];
      assert.equal(agent.proc.exitCode, null, agent.output());
      if (!metricsUrl) await sleep(100);
    }
    assert.ok(metricsUrl, `the agent prints where it serves metrics:\n${agent.output()}`);

    await promtoolCheck(`${backend.url}/metrics`);
    await promtoolCheck(`${metricsUrl}/metrics`);

    const port = await freePort();
    const config = join(tmp.path, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: smartem-api',
        `    static_configs: [{ targets: ['${new URL(backend.url).host}'] }]`,
        '  - job_name: smartem-agent',
        `    static_configs: [{ targets: ['${new URL(metricsUrl).host}'] }]`,
        '',
      ].join('\n'),
    );
    const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    prometheusProc = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(tmp.path, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let prometheusLog = '';
    prometheusProc.stderr!.on('data', (c: Buffer) => (prometheusLog += c.toString()));
    const prometheus = `http://127.0.0.1:${port}`;

    const expectations: Array<[string, (v: number | undefined) => boolean]> = [
      ['min(up)', (v) => v === 1],
      ['count(up)', (v) => v === 2],
      [`smartem_agent_files_parsed{job="smartem-agent"}`, (v) => v === written],
      [`smartem_agent_files_seen{job="smartem-agent"}`, (v) => v === written],
      [`smartem_agent_entities_pending`, (v) => v === 0],
      [`smartem_agent_backend_up`, (v) => v === 1],
      [`sum(smartem_agent_sync_request_duration_seconds_count{outcome="ok"})`, (v) => v !== undefined && v > 0],
      [`sum(smartem_entities_ingested_total{job="smartem-api"})`, (v) => v !== undefined && v > 0],
      [
        `sum(smartem_entities_ingested_total{kind="micrograph",outcome="created"})`,
        (v) => v === SMALL_VISIT.grids * SMALL_VISIT.squares * SMALL_VISIT.holesPerSquare * SMALL_VISIT.shotsPerHole,
      ],
      [`sum(smartem_http_requests_total{route="/batch/micrographs",status="200"})`, (v) => v !== undefined && v > 0],
      [`smartem_outbox_depth`, (v) => v === 0],
      [`smartem_outbox_published_total`, (v) => v !== undefined && v > 0],
      [`sum(smartem_worker_events_handled_total{event_type="micrograph.created"})`, (v) => v !== undefined && v > 0],
    ];
    const last = new Map<string, number | undefined>();
    const deadline = Date.now() + 120_000;
    for (;;) {
      let pass = true;
      for (const [expr, ok] of expectations) {
        const value = await query(prometheus, expr).catch(() => undefined);
        last.set(expr, value);
        if (!ok(value)) pass = false;
      }
      if (pass) break;
      assert.ok(
        Date.now() < deadline,
        `Prometheus never saw the expected values (files written: ${written}):\n${[...last]
          .map(([e, v]) => `  ${e} = ${v}`)
          .join('\n')}\nagent:\n${agent.output().slice(-2000)}\nprometheus:\n${prometheusLog.slice(-2000)}`,
      );
      await sleep(1000);
    }
  } finally {
    if (prometheusProc && prometheusProc.exitCode === null) {
      const exited = new Promise((resolve) => prometheusProc!.once('exit', resolve));
      prometheusProc.kill('SIGTERM');
      await exited;
    }
    await agent.stop();
    await backend.stop();
    await tmp.remove();
  }
});
