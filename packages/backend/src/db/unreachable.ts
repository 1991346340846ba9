const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  // rabbitmq-client's: the broker closed the socket (e.g. while it boots) or did not answer in time.
  'CONN_CLOSE',
  'CONNECTION_TIMEOUT',
]);
/** SQLSTATEs meaning "the server is not available", not "this statement is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * Whether a handler error means the database (or another service) could not be reached, looking through `cause`
 * chains (drizzle wraps driver errors). Such failures say nothing about the message, so they must not use up its attempts.
 */
export function isUnreachableError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)))
      return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isUnreachableError(inner))) return true;
  }
  return false;
}

/** The driver's reason, looking through drizzle's wrapping and the AggregateError of a host with several addresses. */
export function driverReason(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    const { message, code, cause } = e as { message?: unknown; code?: unknown; cause?: unknown };
    if (cause && depth < 4 && typeof message === 'string' && message.startsWith('Failed query')) {
      e = cause;
      continue;
    }
    if (typeof message === 'string' && message !== '') return message;
    if (typeof code === 'string') return code;
    e = cause;
  }
  return String(err);
}
