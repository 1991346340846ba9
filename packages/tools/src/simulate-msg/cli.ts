import type { Command } from 'commander';
import { nonNegativeNumber, positiveInteger } from '@smartem/common/cli-options';

const QUEUE = 'smartem_backend';

interface SendOptions {
  api?: string;
  amqp?: string;
  queue: string;
  legit: boolean;
  uuid?: string;
  parent?: string;
  eventTypeMissing?: boolean;
  replay?: string;
  grid?: string;
  limit?: number;
  delayMs: number;
  json?: boolean;
}

function fail(message: string): void {
  console.error(`smartem tools simulate-msg: ${message}`);
  process.exitCode = 1;
}

/** Registers `smartem tools simulate-msg`. */
export function registerSimulateMsgCommands(tools: Command): void {
  tools
    .command('simulate-msg')
    .description(
      'send processing results and entity events (valid or deliberately malformed) to the bus or through the API ' +
        "of a running backend, or replay a real session's processing results (--replay EMinsight *_data_structure.csv)",
    )
    .argument(
      '[command]',
      'acquisition-created | grid-created | gridsquare-created | foilhole-created | micrograph-created | motion-correction-complete | ctf-complete | particle-picking-complete | particle-selection-complete | rogue-message',
    )
    .option('--api <url>', 'send through the HTTP API of a running backend (embedded mode), e.g. http://127.0.0.1:8000')
    .option('--amqp <url>', 'send to RabbitMQ (default: AMQP_URL)')
    .option('--queue <name>', 'bus queue', QUEUE)
    .option('--no-legit', 'send a deliberately malformed body (misspelt keys, negative numbers)')
    .option('--legit', 'send a valid body (default)')
    .option('--uuid <uuid>', 'the micrograph (processing results) or entity (entity events) the message is about')
    .option('--parent <uuid>', 'parent uuid for entity events')
    .option('--event-type-missing', 'rogue-message: leave event_type out instead of sending an unknown one')
    .option('--replay <csv>', 'replay every micrograph of an EMinsight *_data_structure.csv in acquisition order (needs --api)')
    .option('--grid <uuid>', 'replay into this existing grid (squares and holes matched by EPU id)')
    .option('--limit <n>', 'replay only the first n micrographs', positiveInteger)
    .option('--delay-ms <ms>', 'pause between replayed micrographs', nonNegativeNumber, 0)
    .option('--json', 'print the outcome as JSON')
    .action(async (command: string | undefined, opts: SendOptions) => {
      const { createLogger } = await import('@smartem/common');
      const { amqpUrlFromEnv } = await import('@smartem/common');
      const log = createLogger({ level: 'error', pretty: false });
      const { COMMANDS, PROCESSING_ROUTES, buildMessage } = await import('./messages.ts');
      const { httpTransport, busTransport } = await import('./transport.ts');
      const amqp = opts.amqp ?? (opts.api ? undefined : amqpUrlFromEnv());
      if (!opts.api && !amqp) return fail('nowhere to send: give --api URL or --amqp URL (or set AMQP_URL)');
      if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) return fail('--limit must be a positive integer');
      if (!(opts.delayMs >= 0)) return fail('--delay-ms must be a non-negative number');
      let transport;
      try {
        transport = opts.api && !opts.amqp ? httpTransport(opts.api) : await busTransport(amqp!, opts.queue, log);
      } catch (err) {
        return fail(`cannot connect: ${(err as Error).message}`);
      }
      try {
        if (opts.replay) {
          if (!opts.api)
            return fail('--replay needs --api URL (entities are made through the batch API; with --amqp too, results go to the bus)');
          const { replay } = await import('./replay.ts');
          const summary = await replay({
            csv: opts.replay,
            api: opts.api,
            transport,
            grid: opts.grid,
            limit: opts.limit,
            delayMs: opts.delayMs,
            progress: (l) => console.error(l),
          });
          if (opts.json) console.log(JSON.stringify(summary));
          else
            console.log(
              `replayed ${summary.micrographs} micrographs (${summary.messages} results) into grid ${summary.grid_uuid}: ${JSON.stringify(summary.outcomes)}`,
            );
          return;
        }
        if (!command || !(COMMANDS as readonly string[]).includes(command))
          return fail(`unknown command "${command ?? ''}"; one of: ${COMMANDS.join(', ')}`);
        const name = command as (typeof COMMANDS)[number];
        if (!opts.uuid && name !== 'rogue-message') return fail('--uuid is required');
        const message = buildMessage(name, {
          legit: opts.legit,
          uuid: opts.uuid ?? '',
          parent: opts.parent,
          eventTypeMissing: opts.eventTypeMissing,
        });
        const route = PROCESSING_ROUTES[name];
        let outcome = 'published';
        if (route) outcome = await transport.sendProcessing(route, message);
        else await transport.publish([message]);
        if (opts.json) console.log(JSON.stringify({ command: name, outcome, message }));
        else console.log(`${name}: ${outcome} ${JSON.stringify(message)}`);
      } catch (err) {
        fail((err as Error).message);
      } finally {
        await transport.close();
      }
    });
}
