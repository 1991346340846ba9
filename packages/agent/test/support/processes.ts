// Real child processes for the watch integration tests: the embedded backend (`smartem up`) and the agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SmartEmClient } from '@smartem/client';
import type { EntityRecord } from '@smartem/common';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const smartemBin = `${repoRoot}packages/cli/bin/smartem.js`;

/** A free port nobody listens on (yet): the address of a server that is away, or started later. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
  return startNode([smartemBin, ...args], env);
}

/** `node <args>` from the repository root, with output captured (and stdin writable when `stdin` is 'pipe'). */
function startNode(args: string[], env: NodeJS.ProcessEnv = {}, stdin: 'ignore' | 'pipe' = 'ignore'): Child {
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
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

/**
 * `smartem up` on a PGlite directory; resolves once it prints its URL. Pass `port` to restart on the same one, `env`
 * for its configuration (SMARTEM_OIDC_ISSUER, say).
 */
export async function startBackend(dataDir: string, port = 0, env: NodeJS.ProcessEnv = {}): Promise<Backend> {
  return backendListening(startSmartem(['up', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir], env));
}

/**
 * `smartem backend api` (distributed mode: PostgreSQL and RabbitMQ from `env`'s DATABASE_URL and AMQP_URL) on
 * loopback; resolves once it prints its URL.
 */
export async function startApi(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Backend> {
  return backendListening(startSmartem(['backend', 'api', '--host', '127.0.0.1', '--port', '0', '--insecure', ...args], env));
}

export interface InstructionBackend extends Backend {
  /** Writes instructions for an agent session (as the decision engine does); resolves with their ids. */
  issue(
    sessionId: string,
    items: { type: string; topic: string; payload: Record<string, unknown>; priority?: number }[],
  ): Promise<{ instruction_id: string; sequence_number: number }[]>;
}

/** The embedded backend (as `smartem up`) that also writes instructions on request: see `instruction-backend.ts`. */
export async function startInstructionBackend(dataDir: string, port = 0): Promise<InstructionBackend> {
  const script = fileURLToPath(new URL('./instruction-backend.ts', import.meta.url));
  const backend = await backendListening(startNode(['--import', 'tsx', script, dataDir, String(port)], {}, 'pipe'));
  let answered = 0;
  const issue: InstructionBackend['issue'] = async (sessionId, items) => {
    backend.proc.stdin!.write(`${JSON.stringify({ session_id: sessionId, items })}\n`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answers = [...backend.output().matchAll(/^issue(d|\s+failed) (.*)$/gm)];
      if (answers.length > answered) {
        const answer = answers[answered++]!;
        if (answer[1] !== 'd') throw new Error(`issuing instructions failed: ${answer[2]}`);
        return JSON.parse(answer[2]!) as { instruction_id: string; sequence_number: number }[];
      }
      if (Date.now() > deadline) throw new Error(`no answer to the instructions:\n${backend.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { ...backend, issue };
}

async function backendListening(child: Child): Promise<Backend> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const m = /listening on (http:\/\/[\d.]+:(\d+))/.exec(child.output());
    if (m) return { ...child, url: m[1]!, port: Number(m[2]) };
    if (child.proc.exitCode !== null) throw new Error(`the backend exited ${child.proc.exitCode}:\n${child.output()}`);
    if (Date.now() > deadline) {
      await child.kill();
      throw new Error(`the backend did not start:\n${child.output()}`);
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
    client.list('acquisition'),
    client.list('grid'),
    client.list('atlas'),
    client.list('gridsquare'),
    client.list('foilhole'),
    client.list('micrograph'),
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
