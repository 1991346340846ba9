import type { Command } from 'commander';

/** `smartem agent watch DIR --api URL`. */
export function registerWatchCommand(agent: Command): void {
  void agent;
}
