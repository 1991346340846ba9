import type { Command } from 'commander';

/** `smartem bench decisions …`. */
export function registerBenchDecisionsCommand(bench: Command): void {
  void bench;
}
