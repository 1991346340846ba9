import type { Command } from 'commander';
import { registerEpuSimCommands, registerFsrecorderCommands } from '@smartem/epu-sim/cli';
import { registerXmlToolsCommands } from './xml-tools/cli.ts';
import { registerSimulateMsgCommands } from './simulate-msg/cli.ts';
import { registerDbTableTotalsCommands } from './db-table-totals/cli.ts';
import { registerBenchDecisionsCommand } from './bench-decisions/cli.ts';
import { registerAthenaMockCommand } from './athena-mock/cli.ts';
import { registerBenchClosedLoopCommand } from './bench-closed-loop/cli.ts';

export { registerBenchDecisionsCommand };
import { registerDemoCommand } from './demo/cli.ts';

/** `smartem tools …`, `smartem bench …` and `smartem demo`. Each tool registers itself from its own folder. */
export function registerToolsCommands(program: Command, tools: Command, bench: Command): void {
  registerEpuSimCommands(tools);
  registerFsrecorderCommands(tools);
  registerXmlToolsCommands(tools);
  registerSimulateMsgCommands(tools);
  registerDbTableTotalsCommands(tools);
  registerAthenaMockCommand(tools);
  registerBenchDecisionsCommand(bench);
  registerBenchClosedLoopCommand(bench);
  registerDemoCommand(program);
}
