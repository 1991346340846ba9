import type { Command } from 'commander';

/** Registers this tool's commands under `smartem tools`. */
export function registerSimulateMsgCommands(tools: Command): void {
  void tools;
}
