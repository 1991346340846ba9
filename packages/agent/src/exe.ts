/**
 * Entry of the Windows agent executable (`smartem-agent.exe`): the agent's commands only — `parse`, `validate`,
 * `watch` — as `smartem agent …` offers them. Without arguments it runs `watch`, configured by `smartem-agent.env`
 * beside it (a service or a double click has no command line).
 */
import { Command } from 'commander';
import { VERSION } from '@smartem/common';
import { registerAgentCommands } from './cli.ts';
import { adaptToWine } from './wine.ts';

adaptToWine();

const program = new Command('smartem-agent')
  .description('SmartEM agent: reads what EPU writes and syncs it to the SmartEM backend')
  .version(VERSION)
  .showHelpAfterError();
registerAgentCommands(program);
const args = process.argv.slice(2);
program.parseAsync(args.length ? args : ['watch'], { from: 'user' }).catch((error: unknown) => {
  process.stderr.write(`smartem-agent: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
