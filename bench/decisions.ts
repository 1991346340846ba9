// `npm run bench -- decisions [--budget N] [--generalisation] …`: the same harness as `smartem bench decisions`,
// on ../shared/decision-data/cryorl by default. The last line is our best authority as a fraction of oracle.
import { Command } from 'commander';
import { registerBenchDecisionsCommand } from '@smartem/tools/cli';

const bench = new Command('bench');
registerBenchDecisionsCommand(bench);
await bench.parseAsync(['node', 'bench', 'decisions', ...process.argv.slice(2)]);
