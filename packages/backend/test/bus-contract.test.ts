/** The same contract, run against the in-process bus always and RabbitMQ when AMQP_URL is set. */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PermanentMessageError, TransientMessageError } from '../src/bus/errors.ts';
import type { BusMessage, DeliveryInfo } from '../src/bus/types.ts';
import { busKinds, openTestBus, waitFor, withRabbit, type TestBus } from './support/bus/index.ts';

const opened: TestBus[] = [];
after(async () => {
  await Promise.allSettled(opened.map((b) => b.dispose()));
});

async function open(kind: Parameters<typeof openTestBus>[0], maxAttempts = 3): Promise<TestBus> {
  const testBus = await openTestBus(kind, { maxAttempts });
  opened.push(testBus);
  return testBus;
}

function events(n: number, prefix = 'gs'): BusMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    event_type: 'gridsquare.created',
    uuid: `${prefix}-${i}`,
    grid_uuid: 'g',
    gridsquare_id: String(i),
    note: null,
  }));
}

for (const kind of busKinds()) {
  describe(`bus contract: ${kind}`, () => {
    test('every published message reaches the handler once, with its payload intact', async () => {
      const { bus } = await open(kind);
      const sent = events(200);
      const seen: BusMessage[] = [];
      const consumer = await bus.consume(
        async (message) => {
          seen.push(message);
        },
        { prefetch: 20 },
      );
      await bus.publish(sent);
      await waitFor('200 deliveries', () => seen.length >= 200);
      await consumer.stop();
      assert.equal(seen.length, 200);
      const byUuid = new Map(seen.map((m) => [m.uuid, m]));
      assert.equal(byUuid.size, 200);
      assert.deepEqual(byUuid.get('gs-7'), sent[7]);
      assert.deepEqual(await bus.deadLetters(), []);
    });

    test('a failing handler is retried with increasing attempt numbers, then succeeds', async () => {
      const { bus } = await open(kind, 5);
      const infos: DeliveryInfo[] = [];
      const consumer = await bus.consume(async (_message, info) => {
        infos.push(info);
        if (info.attempt < 3) throw new Error(`transient failure ${info.attempt}`);
      });
      await bus.publish(events(1));
      await waitFor('third attempt', () => infos.length >= 3);
      await consumer.stop();
      assert.deepEqual(infos, [
        { attempt: 1, redelivered: false },
        { attempt: 2, redelivered: true },
        { attempt: 3, redelivered: true },
      ]);
      assert.deepEqual(await bus.deadLetters(), []);
    });

    test('a handler failing maxAttempts times puts the message in the dead-letter queue with the reason', async () => {
      const { bus } = await open(kind, 3);
      let calls = 0;
      const consumer = await bus.consume(async () => {
        calls++;
        throw new Error('database says no');
      });
      const [message] = events(1, 'doomed');
      await bus.publish([message as BusMessage]);
      await waitFor('a dead letter', async () => (await bus.deadLetters()).length === 1);
      await consumer.stop();
      assert.equal(calls, 3);
      const [letter] = await bus.deadLetters();
      assert.deepEqual(letter?.message, message);
      assert.equal(letter?.error, 'database says no');
      assert.equal(letter?.attempts, 3);
      assert.ok(!Number.isNaN(Date.parse(letter?.failed_at ?? '')), 'failed_at is a timestamp');
      // Peeking does not consume: the letter is still there.
      assert.equal((await bus.deadLetters()).length, 1);
    });

    test('a permanent error and a message without event_type are dead-lettered at once, never retried', async () => {
      const { bus } = await open(kind, 5);
      let calls = 0;
      const consumer = await bus.consume(async (message) => {
        calls++;
        if (message.uuid === 'bad') throw new PermanentMessageError('field "uuid" is bad');
      });
      await bus.publish([{ event_type: 'grid.created', uuid: 'bad' }, { uuid: 'no-type' } as unknown as BusMessage]);
      await waitFor('two dead letters', async () => (await bus.deadLetters()).length === 2);
      await consumer.stop();
      assert.equal(calls, 1, 'the handler never sees the message without event_type');
      const letters = await bus.deadLetters();
      const reasons = letters.map((l) => `${l.attempts}:${l.error}`).sort();
      assert.deepEqual(reasons, ['1:field "uuid" is bad', '1:message has no event_type']);
    });

    test('a transient (infrastructure) failure puts the message back without using up an attempt', async () => {
      const { bus } = await open(kind, 2);
      const infos: DeliveryInfo[] = [];
      const consumer = await bus.consume(async (_message, info) => {
        infos.push(info);
        if (infos.length <= 3) throw new TransientMessageError('database unreachable');
      });
      await bus.publish(events(1));
      await waitFor('the fourth delivery', () => infos.length >= 4);
      await consumer.stop();
      assert.deepEqual(
        infos.map((i) => i.attempt),
        [1, 1, 1, 1],
        'three outage failures with maxAttempts 2, never dead-lettered',
      );
      assert.deepEqual(await bus.deadLetters(), []);
    });

    test('competing consumers share the queue; prefetch bounds the handlers in flight', async () => {
      const { bus } = await open(kind);
      let inFlight = 0;
      let maxInFlight = 0;
      const handledBy: string[] = [];
      const slowHandler = (name: string) => async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        handledBy.push(name);
        inFlight--;
      };
      const a = await bus.consume(slowHandler('a'), { prefetch: 2 });
      const b = await bus.consume(slowHandler('b'), { prefetch: 2 });
      await bus.publish(events(60));
      await waitFor('60 deliveries', () => handledBy.length >= 60);
      await Promise.all([a.stop(), b.stop()]);
      assert.equal(handledBy.length, 60);
      assert.ok(maxInFlight <= 4, `at most 2 × prefetch 2 in flight, saw ${maxInFlight}`);
      assert.ok(handledBy.includes('a') && handledBy.includes('b'), 'both consumers took messages');
    });

    test('stop() waits for the handler in flight and takes no more messages', async () => {
      const { bus } = await open(kind);
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started = 0;
      let finished = 0;
      const consumer = await bus.consume(
        async () => {
          started++;
          await gate;
          finished++;
        },
        { prefetch: 1 },
      );
      // Not awaited: the in-process bus resolves a publish once the message is handled.
      const publishing = bus.publish(events(3)).catch(() => {});
      await waitFor('first handler started', () => started === 1);
      const stopping = consumer.stop();
      release();
      await stopping;
      assert.equal(finished, 1);
      // The other two are still queued for the next consumer.
      const rest: BusMessage[] = [];
      const next = await bus.consume(async (m) => {
        rest.push(m);
      });
      await waitFor('the remaining two', () => rest.length === 2);
      await next.stop();
      await publishing;
    });
  });
}

if (busKinds().includes('rabbitmq')) {
  describe('RabbitMQ wire format (the original producer and consumer)', () => {
    test('messages are persistent JSON on the durable queue; the original x-retry-count header is honoured; bad JSON is dead-lettered', async () => {
      const url = process.env.AMQP_URL as string;
      const { bus, queue } = await open('rabbitmq', 3);
      await bus.publish([{ event_type: 'acquisition.created', uuid: 'u', id: null }]);
      const raw = await withRabbit(url, async (connection) => {
        const declared = await connection.queueDeclare({ queue, durable: true, passive: true });
        assert.equal(declared.messageCount, 1);
        const message = await connection.basicGet({ queue, noAck: true });
        // What the original's pika consumer receives: a persistent JSON body with content_type application/json.
        assert.equal(message?.contentType, 'application/json');
        assert.equal(message?.durable, true);
        assert.deepEqual(message?.body, { event_type: 'acquisition.created', uuid: 'u', id: null });
        // As the original publishes: one already retried twice (its header), and one whose body is not JSON.
        const publisher = connection.createPublisher({ confirm: true });
        await publisher.send(
          { routingKey: queue, durable: true, contentType: 'application/json', headers: { 'x-retry-count': 2 } },
          Buffer.from('{"event_type":"grid.updated","uuid":"g"}'),
        );
        await publisher.send(
          { routingKey: queue, durable: true, contentType: 'application/json' },
          Buffer.from('{"event_type": "grid.upd'),
        );
        await publisher.close();
        return message;
      });
      assert.ok(raw);
      const attempts: number[] = [];
      const consumer = await bus.consume(async (_m, info) => {
        attempts.push(info.attempt);
        throw new Error('still failing');
      });
      await waitFor('two dead letters', async () => (await bus.deadLetters()).length === 2);
      await consumer.stop();
      assert.deepEqual(attempts, [3], 'third attempt of three: dead-lettered after this one failure');
      const letters = await bus.deadLetters();
      const malformed = letters.find((l) => typeof l.message === 'string');
      assert.equal(malformed?.message, '{"event_type": "grid.upd');
      assert.match(malformed?.error ?? '', /^malformed JSON/);
      assert.equal(malformed?.attempts, 1);
      const exhausted = letters.find((l) => typeof l.message !== 'string');
      assert.deepEqual([exhausted?.error, exhausted?.attempts], ['still failing', 3]);
    });
  });
}
