import type { Logger } from '@smartem/common';
import { PermanentMessageError, TransientMessageError } from './errors.ts';
import type { BusMessage, MessageHandler } from './types.ts';
import { recordDelivery } from '../metrics.ts';

/** What a bus does with one delivery once the handler has run. Shared by both adapters so they behave alike. */
export type DeliveryOutcome =
  | { action: 'ack' }
  | { action: 'retry'; error: string }
  /** Put back with the same attempt count after a pause: the infrastructure failed, not the message. */
  | { action: 'requeue'; error: string }
  | { action: 'dead'; error: string; message: BusMessage | string };

/** A received body (parsed JSON, text or bytes) → the message, or the reason it is not one (as the original checks). */
export function decodeMessage(body: unknown): { message: BusMessage } | { error: string; raw: string } {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (err) {
      return { error: `malformed JSON: ${(err as Error).message}`, raw: String(body) };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'message is not a JSON object', raw: JSON.stringify(value) };
  }
  const eventType = (value as Record<string, unknown>).event_type;
  if (typeof eventType !== 'string' || eventType === '') {
    return { error: 'message has no event_type', raw: JSON.stringify(value) };
  }
  return { message: value as BusMessage };
}

interface DeliveryOptions {
  body: unknown;
  attempt: number;
  maxAttempts: number;
  handler: MessageHandler;
  log: Logger;
}

/** Decode and hand one delivery to the handler; decide ack, retry or dead-letter; record it in the metrics. Never throws. */
export async function runDelivery(opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const started = performance.now();
  const decoded = decodeMessage(opts.body);
  const outcome = await deliver(decoded, opts);
  recordDelivery('error' in decoded ? undefined : decoded.message.event_type, outcome, (performance.now() - started) / 1000);
  return outcome;
}

async function deliver(decoded: ReturnType<typeof decodeMessage>, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  if ('error' in decoded) {
    opts.log.warn({ reason: decoded.error }, 'dead-lettering malformed message');
    return { action: 'dead', error: decoded.error, message: decoded.raw };
  }
  const { message } = decoded;
  try {
    await opts.handler(message, { attempt: opts.attempt, redelivered: opts.attempt > 1 });
    return { action: 'ack' };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof PermanentMessageError) {
      opts.log.warn({ event_type: message.event_type, error }, 'dead-lettering message: not retryable');
      return { action: 'dead', error, message };
    }
    if (err instanceof TransientMessageError) {
      opts.log.warn({ event_type: message.event_type, error }, 'handler could not reach what it needs; message put back');
      return { action: 'requeue', error };
    }
    if (opts.attempt >= opts.maxAttempts) {
      opts.log.warn({ event_type: message.event_type, error, attempts: opts.attempt }, 'dead-lettering message after max attempts');
      return { action: 'dead', error, message };
    }
    opts.log.info({ event_type: message.event_type, error, attempt: opts.attempt }, 'handler failed; will retry');
    return { action: 'retry', error };
  }
}
