import type { Command } from 'commander';
import { registerWorkerCommand } from './worker/cli.ts';

/** `smartem up` and `smartem backend api|worker|migrate`. */
export function registerBackendCommands(program: Command, backend: Command): void {
  void program;
  registerWorkerCommand(backend);
}
