import type { Command } from 'commander';

/** `smartem tools db-table-totals`: row counts of every table (PostgreSQL from DATABASE_URL/POSTGRES_*, or --data). */
export function registerDbTableTotalsCommands(tools: Command): void {
  tools
    .command('db-table-totals')
    .description(
      'print the number of rows in every backend table and the total (DATABASE_URL or POSTGRES_*; or a stopped `smartem up` data directory with --data)',
    )
    .option('--data <dir>', 'count a PGlite data directory (not while `smartem up` owns it)')
    .option('--json', 'print {"tables": {name: count}, "total": n} on stdout')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const { databaseUrlFromEnv } = await import('@smartem/common');
      let url: string | undefined;
      try {
        url = opts.data ? undefined : databaseUrlFromEnv();
      } catch (err) {
        process.stderr.write(`smartem tools db-table-totals: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      if (!url && !opts.data) {
        process.stderr.write('smartem tools db-table-totals: set DATABASE_URL (or POSTGRES_*), or pass --data DIR\n');
        process.exitCode = 2;
        return;
      }
      const { openDatabase, tableTotals, formatTotals } = await import('@smartem/backend');
      try {
        const handle = await openDatabase({ url, dataDir: opts.data, poolSize: 1 });
        try {
          const totals = await tableTotals(handle.db);
          if (opts.json) {
            const tables = Object.fromEntries(totals.map((t) => [t.table, t.count]));
            process.stdout.write(`${JSON.stringify({ tables, total: totals.reduce((s, t) => s + t.count, 0) })}\n`);
          } else {
            process.stdout.write(`${formatTotals(totals)}\n`);
          }
        } finally {
          await handle.close();
        }
      } catch (err) {
        process.stderr.write(`smartem tools db-table-totals: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
