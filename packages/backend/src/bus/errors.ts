/**
 * Thrown by a handler (or the bus itself) for a message no retry can fix: malformed JSON, no `event_type`, no handler
 * for its event type, invalid payload. The bus dead-letters it at once instead of retrying.
 */
export class PermanentMessageError extends Error {
  override name = 'PermanentMessageError';
}

/**
 * Thrown when the infrastructure a handler needs is unreachable (database down), not because of the message. The bus
 * puts the message back after a pause without counting an attempt, so an outage does not fill the dead-letter queue.
 */
export class TransientMessageError extends Error {
  override name = 'TransientMessageError';
}

/** How long a bus waits before putting back a message that failed with a `TransientMessageError`. */
export const TRANSIENT_RETRY_DELAY_MS = 1_000;
