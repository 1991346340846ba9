import { PermanentMessageError } from '../../bus/errors.ts';
import type { BusMessage } from '../../bus/types.ts';

/** A required non-empty string field of an event payload; a clear permanent error naming the field otherwise. */
export function requireString(message: BusMessage, field: string): string {
  const value = message[field];
  if (typeof value !== 'string' || value === '') {
    throw new PermanentMessageError(
      `${message.event_type}: field "${field}" must be a non-empty string, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  }
  return value;
}
