/**
 * The agent's configuration file and credentials. The file (`KEY=value` lines) is given with `--config` or found beside
 * the executable as `smartem-agent.env`, so the Windows executable runs with no arguments at all: it names the backend,
 * the credentials (a static bearer token, or OAuth 2.0 client credentials), the directory to watch, the state
 * directory and the log level. Command line beats environment beats file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClientCredentialsTokenSource, staticToken, type TokenLog, type TokenSource } from './auth.ts';

export const AGENT_CONFIG_FILE = 'smartem-agent.env';

/** The keys a config file may set. */
export const AGENT_CONFIG_KEYS = [
  'SMARTEM_API_URL',
  'SMARTEM_API_TOKEN',
  'SMARTEM_OIDC_ISSUER',
  'SMARTEM_AGENT_CLIENT_ID',
  'SMARTEM_AGENT_CLIENT_SECRET',
  'SMARTEM_AGENT_SCOPE',
  'SMARTEM_AGENT_WATCH_DIR',
  'SMARTEM_AGENT_STATE_DIR',
  'SMARTEM_LOG_LEVEL',
] as const;
export type AgentConfigKey = (typeof AGENT_CONFIG_KEYS)[number];
type ConfigKey = AgentConfigKey;

/** A config file or a combination of settings that cannot work; the message names the file, line or variables. */
export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

/** Parses `KEY=value` lines: `#` comments and blank lines skipped, `export ` allowed, one pair of quotes stripped. */
export function parseAgentConfig(text: string, file: string): Partial<Record<ConfigKey, string>> {
  const out: Partial<Record<ConfigKey, string>> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new AgentConfigError(`${file}:${i + 1}: expected KEY=value`);
    const [, key, rawValue] = match as unknown as [string, string, string];
    if (!(AGENT_CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new AgentConfigError(`${file}:${i + 1}: unknown key ${key} (known: ${AGENT_CONFIG_KEYS.join(', ')})`);
    }
    const quoted = /^(['"])(.*)\1$/.exec(rawValue);
    out[key as ConfigKey] = quoted ? quoted[2]! : rawValue;
  });
  return out;
}

export interface AgentConfigSource {
  /** `--config FILE`; without it `smartem-agent.env` in `executableDir` is read when it exists. */
  configFile?: string;
  /** Where to look for `smartem-agent.env` (default: the directory of the running executable). */
  executableDir?: string;
}

/** What a config file holds (empty without one); `agentSetting` gives each key with the environment's value winning. */
export interface AgentConfig {
  /** The file that was read, if any. */
  file?: string;
  values: Partial<Record<ConfigKey, string>>;
}

/** Reads the config file: the one given, else `smartem-agent.env` beside the executable when it exists. */
export function readAgentConfig(input: AgentConfigSource = {}): AgentConfig {
  const fileName = input.configFile ?? join(input.executableDir ?? dirname(process.execPath), AGENT_CONFIG_FILE);
  if (!input.configFile && !existsSync(fileName)) return { values: {} };
  let text: string;
  try {
    text = readFileSync(fileName, 'utf8');
  } catch (error) {
    throw new AgentConfigError(
      `cannot read the config file ${fileName}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return { file: fileName, values: parseAgentConfig(text, fileName) };
}

/** A setting from the environment, else from the config file; blank counts as unset. */
export function agentSetting(config: AgentConfig, key: ConfigKey, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[key]?.trim() || config.values[key]?.trim() || undefined;
}

export interface AgentAuthInput extends AgentConfigSource {
  /** `--api` (already defaulted from SMARTEM_API_URL by the CLI). */
  api?: string;
  /** `--token` (already defaulted from SMARTEM_API_TOKEN by the CLI). */
  token?: string;
  /** The config file already read (else it is read from `configFile` / `executableDir`). */
  config?: AgentConfig;
  env?: NodeJS.ProcessEnv;
  log?: TokenLog;
}

export interface AgentAuth {
  api?: string;
  /** Undefined: no credentials configured (an open backend on loopback needs none). */
  auth?: TokenSource;
  /** What was used, for a log line: never a secret. */
  description: string;
}

export function resolveAgentAuth(input: AgentAuthInput): AgentAuth {
  const env = input.env ?? process.env;
  const config = input.config ?? readAgentConfig(input);
  if (
    config.file &&
    config.values.SMARTEM_AGENT_CLIENT_SECRET &&
    process.platform !== 'win32' &&
    (statSync(config.file).mode & 0o077) !== 0
  ) {
    input.log?.warn({ file: config.file }, 'the config file holds a client secret and is readable by other users (chmod 600 it)');
  }
  const pick = (key: ConfigKey) => agentSetting(config, key, env);
  const api = input.api || pick('SMARTEM_API_URL');
  const token = input.token?.trim() || pick('SMARTEM_API_TOKEN');
  const issuer = pick('SMARTEM_OIDC_ISSUER');
  const clientId = pick('SMARTEM_AGENT_CLIENT_ID');
  const clientSecret = pick('SMARTEM_AGENT_CLIENT_SECRET');
  const credentials = { SMARTEM_OIDC_ISSUER: issuer, SMARTEM_AGENT_CLIENT_ID: clientId, SMARTEM_AGENT_CLIENT_SECRET: clientSecret };
  const given = Object.entries(credentials).filter(([, v]) => v);

  if (token && (clientId || clientSecret)) {
    throw new AgentConfigError(
      'both a static token (--token / SMARTEM_API_TOKEN) and client credentials (SMARTEM_AGENT_CLIENT_ID/SECRET) are set; keep one',
    );
  }
  if (token) return { api, auth: staticToken(token), description: 'static bearer token' };
  if (!clientId && !clientSecret) return { api, description: 'no credentials' };
  if (given.length < 3) {
    const missing = Object.entries(credentials)
      .filter(([, v]) => !v)
      .map(([k]) => k);
    throw new AgentConfigError(`client credentials need ${missing.join(' and ')} as well`);
  }
  const auth = new ClientCredentialsTokenSource({
    issuer: issuer!,
    clientId: clientId!,
    clientSecret: clientSecret!,
    scope: pick('SMARTEM_AGENT_SCOPE'),
    log: input.log,
  });
  return { api, auth, description: `client credentials of ${clientId} from ${issuer}` };
}
