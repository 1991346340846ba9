/**
 * RabbitMQ publish ceiling: N event-sized persistent messages with publisher confirms into a scratch durable queue,
 * under options that keep the bus contract (one event per message, persistent, confirmed, durable queue). Prints
 * messages/s, the broker's CPU per message (beam.smp, from /proc) and this process's CPU per message.
 *
 *   npm run bench -- bus-publish [--messages 65000] [--rounds 2] [--variants v1-batch2000,v2-batch2000,…]
 *
 * Variant names: `<queue>-<flow>[-<channels>ch][-<exchange>]`
 *   queue     v1 | v2                 classic queue version (`x-queue-version`, RabbitMQ ≥ 3.10)
 *   flow      batch<B> | window<W>    relay style (send B, await every confirm, next B) or a sliding window of W
 *   channels  1ch (default) | 2ch…    publisher channels on one connection, messages round-robin
 *   exchange  (default exchange) | direct (a durable direct exchange bound to the queue)
 * Needs AMQP_URL. Variants run in the given order, `--rounds` times, alternating.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Connection, type ConnectionOptions, type Publisher } from 'rabbitmq-client';
import { entityEvent } from '@smartem/common';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '65000' },
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'v1-batch2000,v2-batch2000,v2-window5000,v2-batch2000-2ch,v2-batch2000-direct' },
  },
});
const AMQP_URL = process.env.AMQP_URL;
if (!AMQP_URL) {
  console.error('bench bus-publish: set AMQP_URL');
  process.exit(2);
}
const n = Number(args.messages);

interface Variant {
  name: string;
  queueVersion: 1 | 2;
  flow: 'batch' | 'window';
  size: number;
  channels: number;
  exchange: boolean;
  /** Socket corked while a batch is sent, so its messages leave in one write instead of one write each. */
  cork: boolean;
}

function parseVariant(name: string): Variant {
  const m = /^v([12])-(batch|window)(\d+)(?:-(\d+)ch)?(-direct)?(-cork)?$/.exec(name);
  if (!m) throw new Error(`--variants: "${name}" is not <v1|v2>-<batchN|windowN>[-Nch][-direct][-cork]`);
  return {
    name,
    queueVersion: Number(m[1]) as 1 | 2,
    flow: m[2] as 'batch' | 'window',
    size: Number(m[3]),
    channels: Number(m[4] ?? 1),
    exchange: Boolean(m[5]),
    cork: Boolean(m[6]),
  };
}

/** A micrograph.created event as the API writes it (the most common event of a visit), serialised once per message. */
function event(i: number): string {
  return JSON.stringify(
    entityEvent('micrograph', 'created', {
      uuid: randomUUID(),
      micrograph_id: `FoilHole_${1000 + i}_Data_${2000 + i}`,
      foilhole_uuid: randomUUID(),
      foilhole_id: String(1000 + i),
      location_id: String(i),
      status: 'none',
      manifest_file: `/visit/Images-Disc1/GridSquare_1/Data/FoilHole_${i}_Data_1.xml`,
      acquisition_datetime: new Date(),
      defocus: -1.5e-6,
      detector_name: 'EF-Falcon',
      energy_filter: true,
      phase_plate: false,
      image_size_x: 4096,
      image_size_y: 4096,
      binning_x: 1,
      binning_y: 1,
    }),
  );
}

function beamPid(): number | undefined {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'beam.smp') return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU seconds (user + system) of a process, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(connection: Connection, v: Variant, bodies: Buffer[]): Promise<{ ms: number; brokerCpu: number; clientCpu: number }> {
  const queue = `smartem_bench_publish_${randomBytes(4).toString('hex')}`;
  const exchange = v.exchange ? `${queue}.x` : '';
  const queueArgs = { 'x-queue-version': v.queueVersion };
  await connection.queueDeclare({ queue, durable: true, arguments: queueArgs });
  if (v.exchange) {
    await connection.exchangeDeclare({ exchange, type: 'direct', durable: true });
    await connection.queueBind({ queue, exchange, routingKey: queue });
  }
  const publishers: Publisher[] = Array.from({ length: v.channels }, () => connection.createPublisher({ confirm: true }));
  const send = (i: number) =>
    publishers[i % publishers.length].send({ exchange, routingKey: queue, durable: true, contentType: 'application/json' }, bodies[i]);
  // Open every channel before timing.
  await Promise.all(publishers.map((p, i) => p.send({ routingKey: `${queue}.warmup.${i}` }, Buffer.from('{}'))));
  const beam = beamPid();
  const broker0 = cpuSeconds(beam),
    client0 = process.cpuUsage();
  const started = performance.now();
  if (v.flow === 'batch') {
    const socket = (connection as unknown as { _socket: import('node:net').Socket })._socket;
    for (let i = 0; i < bodies.length; i += v.size) {
      const sends: Array<Promise<void>> = [];
      if (v.cork) socket.cork();
      for (let j = i; j < Math.min(i + v.size, bodies.length); j++) sends.push(send(j));
      if (v.cork) socket.uncork();
      await Promise.all(sends);
    }
  } else {
    let next = 0;
    const lane = async () => {
      while (next < bodies.length) await send(next++);
    };
    await Promise.all(Array.from({ length: v.size }, lane));
  }
  const ms = performance.now() - started;
  const brokerCpu = cpuSeconds(beam) - broker0;
  const c = process.cpuUsage(client0);
  const declared = await connection.queueDeclare({ queue, passive: true });
  if (declared.messageCount !== bodies.length)
    throw new Error(`${v.name}: ${declared.messageCount} messages in the queue, expected ${bodies.length}`);
  await Promise.all(publishers.map((p) => p.close()));
  await connection.queueDelete({ queue });
  if (v.exchange) await connection.exchangeDelete({ exchange });
  return { ms, brokerCpu, clientCpu: (c.user + c.system) / 1e6 };
}

const variants = args.variants.split(',').map((s) => parseVariant(s.trim()));
const bodies = Array.from({ length: n }, (_, i) => Buffer.from(event(i), 'utf8'));
// A write buffer large enough for a corked batch (the default 16 KiB stops the client's encoder after ~70 messages).
const connection = new Connection({
  url: AMQP_URL,
  connectionName: `smartem-bench-publish-${process.pid}`,
  socket: { writableHighWaterMark: 8 << 20 } as unknown as ConnectionOptions['socket'],
});
try {
  await connection.onConnect(10_000, true);
  console.log(`bus-publish: ${n} persistent confirmed messages of ${bodies[0].length} bytes per variant, ${args.rounds} rounds`);
  console.log('| variant | round | s | messages/s | broker CPU µs/msg | client CPU µs/msg |\n|---|---:|---:|---:|---:|---:|');
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const v of variants) {
      const r = await run(connection, v, bodies);
      const us = (s: number) => ((s * 1e6) / n).toFixed(0);
      console.log(
        `| ${v.name} | ${round} | ${(r.ms / 1000).toFixed(2)} | ${Math.round(n / (r.ms / 1000))} | ${us(r.brokerCpu)} | ${us(r.clientCpu)} |`,
      );
    }
  }
} finally {
  await connection.close();
}
