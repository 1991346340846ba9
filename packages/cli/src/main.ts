import { Command } from 'commander';
import { VERSION } from '@smartem/common/version';
import { registerAgentCommands } from '@smartem/agent/cli';
import { registerBackendCommands } from '@smartem/backend/cli';
import { registerToolsCommands } from '@smartem/tools/cli';

const program = new Command('smartem')
  .description('SmartEM: live EPU intake, backend and decision engine for smart cryo-EM data collection')
  .version(VERSION)
  .showHelpAfterError();

registerAgentCommands(program.command('agent').description('EPU intake agent: parse, validate and watch EPU output'));
registerBackendCommands(program, program.command('backend').description('backend services: API, worker, migrations'));
registerToolsCommands(
  program,
  program.command('tools').description('developer and facility tools'),
  program.command('bench').description('benchmarks'),
);

await program.parseAsync(process.argv);
