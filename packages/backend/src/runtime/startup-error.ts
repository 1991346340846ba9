/** A start-up failure whose message says everything (a server not reachable, a database that cannot be migrated): printed without a stack trace. */
export class StartupError extends Error {
  override name = 'StartupError';
}
