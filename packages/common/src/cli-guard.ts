/** Runs a command's action; a failure is one line on stderr (no stack) and exit code 2. */
export function guarded<A extends unknown[]>(command: string, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      process.stderr.write(`smartem tools ${command}: ${(e as Error).message}\n`);
      process.exitCode = 2;
    }
  };
}
