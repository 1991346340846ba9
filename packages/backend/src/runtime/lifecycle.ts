/**
 * The one start-up/shutdown idiom of the backend's long-running commands (`smartem up`, `backend api`, `backend
 * worker`): parts register how to stop as they start; shutdown runs those steps in reverse order, each failure logged
 * and the rest still run. `runUntilSignal` makes that the process's main job: start (exit code 1 and the reason on
 * stderr if it fails, after stopping what did start), wait for SIGTERM/SIGINT, shut down, exit code 0; a second signal
 * exits at once with 1. A process started with an IPC channel also shuts down when the channel closes (its parent ended).
 */
import type { Logger } from '@smartem/common';
import { StartupError } from './startup-error.ts';

export class Shutdown {
  private readonly steps: Array<[what: string, stop: () => Promise<void>]> = [];

  constructor(private readonly log: Logger) {}

  /** Register a part's stop; parts stop in the reverse order of registration. */
  add(what: string, stop: () => Promise<void>): void {
    this.steps.push([what, stop]);
  }

  /** Run every registered stop, last registered first (a step runs once even if `run` is called again). */
  async run(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      const [what, stop] = step;
      const from = performance.now();
      try {
        await stop();
        this.log.info({ ms: Math.round(performance.now() - from) }, `shutdown: ${what}: done`);
      } catch (err) {
        this.log.error({ err, ms: Math.round(performance.now() - from) }, `shutdown: ${what} failed`);
      }
    }
  }
}

/**
 * Starts with `start` (which registers its parts' stops on the given Shutdown and returns the line announcing it is
 * ready), waits for a signal, shuts down. Resolves to the process's exit code.
 */
export async function runUntilSignal(
  name: string,
  log: Logger,
  start: (shutdown: Shutdown) => Promise<string>,
  /** What the log calls it: "<part> stopping", "<part> stopped". */
  part = 'backend',
): Promise<number> {
  const shutdown = new Shutdown(log);
  let ready: string;
  try {
    ready = await start(shutdown);
  } catch (err) {
    // A StartupError's message says it all (a server not reachable, a migration blocked); anything else is a bug: keep its stack.
    if (!(err instanceof StartupError)) log.error({ err }, 'start-up failed');
    process.stderr.write(`${name}: failed to start: ${(err as Error).message}\n`);
    await shutdown.run();
    return 1;
  }
  process.stdout.write(`${name}: ${ready}\n`);
  const signal = await new Promise<NodeJS.Signals | 'parent gone'>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
    // Started by another process over an IPC channel (`smartem bench closed-loop`, `smartem demo`): the channel closes
    // when that process ends, however it ends (even SIGKILL), and the backend then stops as on SIGTERM.
    if (process.channel) {
      if (!process.connected) resolve('parent gone');
      process.once('disconnect', () => resolve('parent gone'));
      process.channel.unref();
    }
  });
  for (const again of ['SIGTERM', 'SIGINT'] as const) process.once(again, () => process.exit(1));
  log.info({ signal }, `${part} stopping: finishing the work in flight, flushing the outbox`);
  await shutdown.run();
  log.info(`${part} stopped`);
  return 0;
}
