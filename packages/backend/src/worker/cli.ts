import type { Command } from 'commander';

/** `smartem backend worker`. */
export function registerWorkerCommand(backend: Command): void {
  void backend;
}
