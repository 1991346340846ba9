/**
 * The container image (`npm run build:image`) run with Podman, the way a facility runs it: `smartem up` answers
 * /health and passes the image's HEALTHCHECK; `backend migrate`, `backend api` and `backend worker` containers against
 * the host's PostgreSQL and RabbitMQ (host network, a scratch database, unique queues) ingest a simulated visit synced
 * by `smartem agent watch` on the host, and handle its events: the database holds exactly the visit's entities, every
 * grid got its model weights from the worker, the outbox and the queue drain, nothing is dead-lettered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createScratchPostgres } from './support/databases.ts';
import { deleteQueues, uniqueQueueName, waitFor, withRabbit } from './support/bus/index.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const smartemBin = join(repoRoot, 'packages/cli/bin/smartem.js');
const image = process.env.SMARTEM_IMAGE ?? 'localhost/smartem:latest';
const podmanEnv = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(repoRoot, 'deploy/podman/containers.conf') };
const run = promisify(execFile);

function skipReason(): string | false {
  if (spawnSync('podman', ['--version'], { env: podmanEnv }).status !== 0) return 'podman is not installed (apt-get install podman runc)';
  if (spawnSync('podman', ['image', 'exists', image], { env: podmanEnv }).status !== 0)
    return `image ${image} is not built (npm run build:image)`;
  return false;
}
const skip = skipReason();
const skipDistributed = skip || (process.env.DATABASE_URL && process.env.AMQP_URL ? false : 'needs DATABASE_URL and AMQP_URL');

function podman(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('podman', args, { env: podmanEnv, maxBuffer: 16 << 20 });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Containers of one test, locked down as deploy/k8s runs them (read-only root with a tmpfs /tmp, no capabilities, no
 * privilege escalation), started detached on the host network (no systemd timers for the HEALTHCHECK here).
 */
function containers() {
  const prefix = `smartem-test-${randomBytes(4).toString('hex')}`;
  const names: string[] = [];
  return {
    async start(role: string, env: Record<string, string>, args: string[]): Promise<string> {
      const name = `${prefix}-${role}`;
      names.push(name);
      const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      await podman(
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        '--health-interval',
        'disable',
        '--read-only',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        ...envArgs,
        image,
        ...args,
      );
      return name;
    },
    /** Runs a container to completion; returns its exit code and output. */
    async runToEnd(role: string, env: Record<string, string>, args: string[]): Promise<{ code: number; output: string }> {
      const name = await this.start(role, env, args);
      const { stdout } = await podman('wait', name);
      return { code: Number(stdout.trim()), output: await this.logs(name) };
    },
    async logs(name: string): Promise<string> {
      const { stdout, stderr } = await podman('logs', name);
      return stdout + stderr;
    },
    async healthcheck(name: string): Promise<boolean> {
      return spawnSync('podman', ['healthcheck', 'run', name], { env: podmanEnv }).status === 0;
    },
    /** SIGTERM (podman stop) and the exit code. */
    async stop(name: string): Promise<number> {
      await podman('stop', '--time', '30', name);
      const { stdout } = await podman('inspect', name, '--format', '{{.State.ExitCode}}');
      return Number(stdout.trim());
    },
    async removeAll(): Promise<void> {
      if (names.length) await podman('rm', '--force', ...names).catch(() => {});
    },
  };
}

async function healthStatus(url: string): Promise<number | undefined> {
  try {
    return (await fetch(`${url}/health`)).status;
  } catch {
    return undefined;
  }
}

test('image: smartem up answers /health, passes the HEALTHCHECK and stops on SIGTERM with exit 0', { skip }, async () => {
  const pods = containers();
  try {
    const port = await freePort();
    const name = await pods.start('up', { HTTP_API_PORT: String(port) }, ['up']);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('smartem up in the container to answer /health', async () => (await healthStatus(url)) === 200, 120_000).catch(
      async (err) => {
        throw new Error(`${(err as Error).message}\n${await pods.logs(name)}`);
      },
    );
    const body = (await (await fetch(`${url}/health`)).json()) as { status: string };
    assert.equal(body.status, 'ok');
    assert.equal(await pods.healthcheck(name), true, 'the image HEALTHCHECK passes');
    assert.equal(await pods.stop(name), 0, await pods.logs(name));
  } finally {
    await pods.removeAll();
  }
});

interface GeneratedSummary {
  grids: Array<{ dir: string; gridSquareIds: string[]; foilHoleIds: number; micrographIds: number }>;
}

test('image: migrate, api and worker containers on PostgreSQL and RabbitMQ ingest a watched visit and handle its events', {
  skip: skipDistributed,
}, async () => {
  const pods = containers();
  const scratch = await createScratchPostgres();
  const amqpUrl = process.env.AMQP_URL!;
  const queue = uniqueQueueName('smartem_container');
  const tmp = await mkdtemp(join(tmpdir(), 'smartem-container-'));
  const db = new pg.Client({ connectionString: scratch.url });
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    const env = { DATABASE_URL: scratch.url, AMQP_URL: amqpUrl, SMARTEM_LOG_LEVEL: 'info' };
    const migrate = await pods.runToEnd('migrate', env, ['backend', 'migrate']);
    assert.equal(migrate.code, 0, migrate.output);
    assert.match(migrate.output, /database is up to date/);

    const port = await freePort();
    const api = await pods.start('api', { ...env, HTTP_API_PORT: String(port) }, [
      'backend',
      'api',
      '--no-migrate',
      '--insecure',
      '--queue',
      queue,
    ]);
    const worker = await pods.start('worker', env, ['backend', 'worker', '--no-migrate', '--queue', queue]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the api container to answer /health', async () => (await healthStatus(url)) === 200, 120_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${await pods.logs(api)}`);
    });
    await waitFor('the worker container to be ready', async () => (await pods.logs(worker)).includes('worker ready'), 120_000).catch(
      async (err) => {
        throw new Error(`${(err as Error).message}\n${await pods.logs(worker)}`);
      },
    );
    assert.equal(await pods.healthcheck(api), true, 'the HEALTHCHECK passes for the api');
    assert.equal(await pods.healthcheck(worker), true, 'the HEALTHCHECK passes for the worker');

    const visit = join(tmp, 'visit');
    const generated = await run(
      process.execPath,
      [
        smartemBin,
        'tools',
        'epu-sim',
        'generate',
        visit,
        '--json',
        '--grids',
        '2',
        '--squares',
        '3',
        '--holes-per-square',
        '4',
        '--shots-per-hole',
        '2',
        '--seed',
        '16',
      ],
      { cwd: repoRoot, maxBuffer: 16 << 20 },
    );
    const summary = JSON.parse(generated.stdout) as GeneratedSummary;
    const expected = {
      grids: summary.grids.length,
      gridsquares: summary.grids.reduce((n, g) => n + g.gridSquareIds.length, 0),
      foilholes: summary.grids.reduce((n, g) => n + g.foilHoleIds, 0),
      micrographs: summary.grids.reduce((n, g) => n + g.micrographIds, 0),
    };

    agent = spawn(process.execPath, [smartemBin, 'agent', 'watch', visit, '--api', url, '--state', join(tmp, 'state')], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let agentOutput = '';
    agent.stderr!.on('data', (c: Buffer) => (agentOutput += c.toString()));

    await db.connect();
    const count = async (table: string): Promise<number> => Number((await db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    const counts = async () => ({
      grids: await count('grid'),
      gridsquares: await count('gridsquare'),
      foilholes: await count('foilhole'),
      micrographs: await count('micrograph'),
    });
    await waitFor(
      'the visit to be in the database',
      async () => {
        const now = await counts();
        return now.micrographs >= expected.micrographs && now.foilholes >= expected.foilholes && now.gridsquares >= expected.gridsquares;
      },
      240_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\nagent:\n${agentOutput.slice(-3000)}`);
    });
    assert.deepEqual(await counts(), expected);
    assert.equal(await count('acquisition'), 1);
    const squareIds = (await db.query('SELECT gridsquare_id FROM gridsquare ORDER BY 1')).rows.map(
      (r: { gridsquare_id: string }) => r.gridsquare_id,
    );
    assert.deepEqual(squareIds, summary.grids.flatMap((g) => g.gridSquareIds).sort());

    const queueDepth = () => withRabbit(amqpUrl, async (c) => (await c.queueDeclare({ queue, passive: true })).messageCount);
    await waitFor(
      'the outbox to drain, the queue to empty and every grid to get model weights',
      async () => {
        const unpublished = await count('outbox'); // the relay deletes what the broker confirmed
        const weighted = Number((await db.query('SELECT count(DISTINCT grid_uuid) AS n FROM qualitypredictionmodelweight')).rows[0].n);
        return unpublished === 0 && weighted === expected.grids && (await queueDepth()) === 0;
      },
      120_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}\nworker:\n${(await pods.logs(worker)).slice(-3000)}`);
    });
    assert.equal(await count('outbox_dead_letter'), 0);
    assert.equal(await count('bus_dead_letter'), 0);

    agent.kill('SIGTERM');
    assert.equal(await pods.stop(worker), 0, await pods.logs(worker));
    assert.equal(await pods.stop(api), 0, await pods.logs(api));
  } finally {
    agent?.kill('SIGKILL');
    await db.end().catch(() => {});
    await pods.removeAll();
    await deleteQueues(amqpUrl, [queue, `${queue}.dlq`]).catch(() => {});
    await scratch.drop();
    await rm(tmp, { recursive: true, force: true });
  }
});
