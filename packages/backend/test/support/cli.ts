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

/** Starts `smartem <args>` and resolves with the URL of its "listening on" line (rejects if it exits first). */
export function startSmartem(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [SMARTEM_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SMARTEM_LOG_LEVEL: 'error', HTTP_API_PORT: '', ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url, exit, stdout: () => out, stderr: () => err });
    });
    void exit.then((code) => reject(new Error(`smartem ${args[0]} exited with ${code}: ${err}`)));
  });
}

export async function runSmartem(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [SMARTEM_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out, err };
}
