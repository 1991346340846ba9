import type { Command } from 'commander';

/** `smartem agent parse …` and `smartem agent validate`. */
export function registerParseCommands(agent: Command): void {
  void agent;
}
