/**
 * A RabbitMQ node of the test's own (`rabbitmq-server` with its own node name, ports, data, logs, cookie and no
 * plugins, so no management port to clash) that a test can really stop, start and restart without touching the shared
 * broker other tests use. Stopped with SIGTERM to the node's process (RabbitMQ's graceful shutdown), so no cookie has
 * to match a rabbitmqctl.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { accepts, freePort } from './ports.ts';

/** Debian's server script (the one in /usr/sbin switches to the rabbitmq user and drops our settings). */
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export function privateRabbitUnavailable(): string | undefined {
  return existsSync(SERVER) ? undefined : `RabbitMQ is not installed (${SERVER})`;
}

export interface PrivateRabbit {
  port: number;
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  url: string;
  /** Starts the node; resolves once it accepts AMQP connections. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM); resolves once the node's process is gone. */
  stop(): Promise<void>;
  /** Stops the node (if running) and deletes its directory. */
  remove(): Promise<void>;
}

export async function createPrivateRabbit(opts: { start?: boolean } = {}): Promise<PrivateRabbit> {
  if (privateRabbitUnavailable()) throw new Error(privateRabbitUnavailable());
  const dir = mkdtempSync(join(tmpdir(), 'smartem-rabbit-'));
  const [port, distPort] = [await freePort(), await freePort()];
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  writeFileSync(join(dir, '.erlang.cookie'), randomBytes(16).toString('hex'), { mode: 0o400 });
  mkdirSync(join(dir, 'log'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `smartem-test-${randomBytes(4).toString('hex')}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'node.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: file('enabled_plugins', ''),
    // Not the machine's /etc/rabbitmq files: they name the shared node and its listener.
    RABBITMQ_CONF_ENV_FILE: file('rabbitmq-env.conf', ''),
    RABBITMQ_CONFIG_FILE: file('rabbitmq.conf', `listeners.tcp.1 = 127.0.0.1:${port}\ndisk_free_limit.absolute = 1MB\n`),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  let pid: number | undefined;

  const killAtExit = () => {
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', killAtExit);

  const alive = (p: number) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };

  const node: PrivateRabbit = {
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    async start() {
      const log = openSync(join(dir, 'log', 'server.out'), 'a');
      const child = spawn(SERVER, [], { env, cwd: dir, detached: true, stdio: ['ignore', log, log] });
      closeSync(log);
      child.unref();
      let exited = false;
      child.once('exit', () => (exited = true));
      const deadline = Date.now() + 180_000;
      while (!(await accepts(port))) {
        if (exited || Date.now() > deadline) {
          const out = readFileSync(join(dir, 'log', 'server.out'), 'utf8').slice(-2000);
          throw new Error(`RabbitMQ node did not start on port ${port}:\n${out}`);
        }
        await sleep(200);
      }
      pid = Number(readFileSync(env.RABBITMQ_PID_FILE as string, 'utf8'));
    },
    async stop() {
      if (pid === undefined) return;
      const stopping = pid;
      process.kill(stopping, 'SIGTERM');
      while (alive(stopping)) await sleep(100);
      pid = undefined;
    },
    async remove() {
      await node.stop().catch(killAtExit);
      process.removeListener('exit', killAtExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.start ?? true) await node.start();
  return node;
}
