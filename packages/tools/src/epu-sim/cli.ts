import type { Command } from 'commander';

/** Registers this tool's commands under `smartem tools`. */
export function registerEpuSimCommands(tools: Command): void {
  void tools;
}
