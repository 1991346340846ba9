import { InvalidArgumentError, type Command } from 'commander';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer 0…65535, got "${v}"`);
  return n;
}

/** `smartem tools athena-mock`: the in-memory stand-in for ThermoFisher's Athena Decision Service. */
export function registerAthenaMockCommand(tools: Command): void {
  tools
    .command('athena-mock')
    .description(
      'run a stand-in Athena Decision Service (sessions, areas, area states, decisions incl. LatestDecision/TimedDecision) ' +
        'in memory, validating every request and reply against an OpenAPI document',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', port, 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--record <file>', 'append each request as one JSON line {method, path, query, body, status}')
    .option('--spec <file>', 'validate against this OpenAPI 3.0 document (e.g. the published one) instead of ours')
    .action(async (opts: { port: number; host: string; record?: string; spec?: string }) => {
      const { startAthenaMock, readOpenApiDocument } = await import('@smartem/athena/mock');
      let mock;
      try {
        const document = opts.spec ? readOpenApiDocument(opts.spec) : undefined;
        mock = await startAthenaMock({ port: opts.port, host: opts.host, document, recordFile: opts.record });
      } catch (err) {
        process.stderr.write(`smartem tools athena-mock: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`athena-mock listening on ${mock.url} (document: ${opts.spec ?? 'generated from @smartem/athena'})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await mock.close();
      process.stdout.write('athena-mock stopped\n');
    });
}
