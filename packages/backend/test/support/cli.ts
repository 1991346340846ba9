/** The `smartem` command as a child process: started until it prints where it listens, or run to its exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../../..', import.meta.url).pathname;
export const SMARTEM_BIN = join(root, 'packages/cli/bin/smartem.js');

export interface Started {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

export interface Spawned extends Omit<Started, 'url'> {
  /** Resolves with the URL of the "listening on" line; rejects if the process exits first. */
  listening: Promise<string>;
}

/** Starts `smartem <args>` with its output captured, without waiting for anything. */
export function spawnSmartem(args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, [SMARTEM_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SMARTEM_LOG_LEVEL: 'error', HTTP_API_PORT: '', ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    void exit.then((code) => reject(new Error(`smartem ${args[0]} exited with ${code}: ${err}`)));
  });
  listening.catch(() => {});
  return { child, exit, listening, stdout: () => out, stderr: () => err };
}

/** Starts `smartem <args>` and resolves with the URL of its "listening on" line (rejects if it exits first). */
export async function startSmartem(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const spawned = spawnSmartem(args, env);
  const url = await spawned.listening;
  return { child: spawned.child, url, exit: spawned.exit, stdout: spawned.stdout, stderr: spawned.stderr };
}

/** Runs `smartem <args>` (this process's environment plus `env`) to its exit, with its output. */
export async function runSmartem(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [SMARTEM_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  // 'close', not 'exit': all of the output has been read by then.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, out, err };
}
