/**
 * Thrown by a handler (or the bus itself) for a message no retry can fix: malformed JSON, no `event_type`, no handler
 * for its event type, invalid payload. The bus dead-letters it at once instead of retrying.
 */
export class PermanentMessageError extends Error {
  override name = 'PermanentMessageError';
}
