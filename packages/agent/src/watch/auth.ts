/** The watch command's credentials: resolved from its options, environment and config file, and tried once at start. */
import { TokenRequestError, type TokenSource } from '@smartem/client';
import { AgentConfigError, resolveAgentAuth, type AgentConfig } from '@smartem/client/agent-auth';
import type { Logger } from '@smartem/common';

/** The API URL and token source to use, or the exit code after a one-line error. */
export async function agentAuth(
  options: { api?: string; token?: string },
  config: AgentConfig,
  log: Logger,
  dryRun: boolean,
): Promise<{ api?: string; auth?: TokenSource } | number> {
  let resolved;
  try {
    resolved = resolveAgentAuth({ api: options.api, token: options.token, config, log });
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  log.info({ credentials: resolved.description }, 'backend credentials');
  if (resolved.auth && !dryRun) {
    try {
      await resolved.auth.token();
    } catch (error) {
      // Refused credentials cannot start to work by waiting; an unreachable provider can, and is retried while syncing.
      if (error instanceof TokenRequestError) {
        process.stderr.write(`error: ${error.message}\n`);
        return 1;
      }
      log.warn({ err: (error as Error).message }, 'cannot get an access token yet; retrying while syncing');
    }
  }
  return { api: resolved.api, auth: resolved.auth };
}
