/**
 * A PostgreSQL server of the test's own (`initdb` + `pg_ctl` in a temporary directory, on a free port, unix socket in
 * that directory) that a test can really stop, start and restart without touching the shared server other tests use.
 * PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user, who owns the directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

const run = promisify(execFile);

/** The newest `/usr/lib/postgresql/<version>/bin` holding initdb and pg_ctl (Debian's layout), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** Why a private server cannot be run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!postgresBinDir()) return 'PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/<version>/bin) are not installed';
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/usr/bin/runuser'))
    return 'running as root without runuser to start PostgreSQL as the postgres user';
  return undefined;
}

export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Starts the server (waits until it accepts connections). */
  start(): Promise<void>;
  /** Fast shutdown: open sessions are ended, as an operator's restart does. */
  stop(): Promise<void>;
  /** Stops the server (if running) and deletes its directory. */
  remove(): Promise<void>;
}

/**
 * Creates the cluster (initdb, fsync off: nothing here has to survive a machine crash) and, unless `start: false`,
 * starts it.
 */
export async function createPrivatePostgres(opts: { start?: boolean } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(privatePostgresUnavailable());
  const dir = mkdtempSync(join(tmpdir(), 'smartem-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const data = join(dir, 'data');
  const port = await freePort();
  await run(...command('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']), { timeout: 120_000 });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = (args: string[]) => run(...command('pg_ctl', ['-D', data, ...args]), { timeout: 120_000 });

  let running = false;
  const stopAtExit = () => {
    if (running) execFileSync(...command('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']), { stdio: 'ignore' });
  };
  process.once('exit', stopAtExit);

  const server: PrivatePostgres = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: server.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return server.url(name);
    },
    async start() {
      await pgCtl(['-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '120', 'start']);
      running = true;
    },
    async stop() {
      await pgCtl(['-m', 'fast', '-w', '-t', '120', 'stop']);
      running = false;
    },
    async remove() {
      process.removeListener('exit', stopAtExit);
      if (running) await server.stop().catch(() => stopAtExit());
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.start ?? true) await server.start();
  return server;
}
