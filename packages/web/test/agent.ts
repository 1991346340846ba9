/**
 * Real processes for the dashboard's tests: the agent (`smartem agent watch`, as operators run it) and the embedded
 * backend (`smartem up`, to kill and start again on the same data directory and port), with output captured; killed
 * with the test process if a test fails before stopping them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SMARTEM = fileURLToPath(new URL('../../cli/bin/smartem.js', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export interface AgentProcess {
  output(): string;
  stop(): Promise<void>;
}

export function startAgentProcess(dir: string, api: string, stateDir: string, extra: string[]): AgentProcess {
  return startSmartem(['agent', 'watch', dir, '--api', api, '--state', stateDir, '-v', ...extra]);
}

export interface BackendProcess extends AgentProcess {
  url: string;
  /** SIGKILL: gone at once, as in a crash. */
  kill(): Promise<void>;
}

/** `smartem up` on a PGlite directory at `port` (0: any); resolves once it listens. */
export async function startBackendProcess(dataDir: string, port: number): Promise<BackendProcess> {
  const child = startSmartem(['up', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir]);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(child.output())?.[1];
    if (url) return { ...child, url };
    if (child.exited() || Date.now() > deadline) {
      await child.kill();
      throw new Error(`smartem up did not start:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startSmartem(args: string[]) {
  const proc = spawn(process.execPath, [SMARTEM, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      running.delete(proc);
      resolve();
    }),
  );
  const stop = (signal: NodeJS.Signals) => async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return {
    output: () => out,
    exited: () => proc.exitCode !== null || proc.signalCode !== null,
    stop: stop('SIGTERM'),
    kill: stop('SIGKILL'),
  };
}

/** Polls `check` until it returns a value (not undefined/false), or throws naming `what` after `ms`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
