/**
 * Entry of the Windows agent executable (`smartem-agent.exe`): the agent's commands only — `parse`, `validate`,
 * `watch` — as `smartem agent …` offers them.
 */
import { Command } from 'commander';
import { VERSION } from '@smartem/common';
import { registerAgentCommands } from './cli.ts';

const program = new Command('smartem-agent')
  .description('SmartEM agent: reads what EPU writes and syncs it to the SmartEM backend')
  .version(VERSION)
  .showHelpAfterError();
registerAgentCommands(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`smartem-agent: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
