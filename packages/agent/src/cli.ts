import type { Command } from 'commander';
import { registerParseCommands } from './parse-cli.ts';
import { registerWatchCommand } from './watch/cli.ts';

/** `smartem agent …`: parse, validate, watch. */
export function registerAgentCommands(agent: Command): void {
  registerParseCommands(agent);
  registerWatchCommand(agent);
}
