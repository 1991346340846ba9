/**
 * The real agent for the dashboard's tests: `smartem agent watch` as its own process (the CLI, as operators run it),
 * with output captured; killed with the test process if a test fails before stopping it.
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
  const proc = spawn(process.execPath, [SMARTEM, 'agent', 'watch', dir, '--api', api, '--state', stateDir, '-v', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  return {
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
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
