// Real child processes for the watch integration tests: the embedded backend (`smartem up`) and the agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SmartEmClient } from '@smartem/client';
import type { EntityRecord } from '@smartem/common';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const smartemBin = `${repoRoot}packages/cli/bin/smartem.js`;

export interface Child {
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (no chance to flush anything) and wait. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Children still running when the test process exits (a failed or timed-out test) are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export function startSmartem(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, [smartemBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  running.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  return {
    proc,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Backend extends Child {
  url: string;
  port: number;
}

/** `smartem up` on a PGlite directory; resolves once it prints its URL. Pass `port` to restart on the same one. */
export async function startBackend(dataDir: string, port = 0): Promise<Backend> {
  const child = startSmartem(['up', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir]);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const m = /listening on (http:\/\/[\d.]+:(\d+))/.exec(child.output());
    if (m) return { ...child, url: m[1]!, port: Number(m[2]) };
    if (child.proc.exitCode !== null) throw new Error(`smartem up exited ${child.proc.exitCode}:\n${child.output()}`);
    if (Date.now() > deadline) {
      await child.kill();
      throw new Error(`smartem up did not start:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function startAgent(dir: string, api: string, stateDir: string, extra: string[] = []): Child {
  return startSmartem(['agent', 'watch', dir, '--api', api, '--state', stateDir, '-v', ...extra]);
}

export interface BackendContents {
  grids: EntityRecord<'grid'>[];
  atlases: EntityRecord<'atlas'>[];
  gridsquares: EntityRecord<'gridsquare'>[];
  foilholes: EntityRecord<'foilhole'>[];
  micrographs: EntityRecord<'micrograph'>[];
  acquisitions: EntityRecord<'acquisition'>[];
}

export async function backendContents(url: string): Promise<BackendContents> {
  const client = new SmartEmClient({ baseUrl: url, timeoutMs: 60_000 });
  const [acquisitions, grids, atlases, gridsquares, foilholes, micrographs] = await Promise.all([
    client.list('acquisition'), client.list('grid'), client.list('atlas'), client.list('gridsquare'), client.list('foilhole'), client.list('micrograph'),
  ]);
  return { acquisitions, grids, atlases, gridsquares, foilholes, micrographs };
}

/** Polls until `done(contents)` or the deadline; returns the last contents either way (the caller asserts). */
export async function waitForContents(url: string, done: (c: BackendContents) => boolean, timeoutMs = 240_000): Promise<BackendContents> {
  const deadline = Date.now() + timeoutMs;
  let last: BackendContents | undefined;
  for (;;) {
    try {
      last = await backendContents(url);
      if (done(last)) return last;
    } catch {
      // backend restarting
    }
    if (Date.now() > deadline && last) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
}
