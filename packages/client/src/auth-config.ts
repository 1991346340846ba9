/**
 * The agent's credentials: a static bearer token, or OAuth 2.0 client credentials, from the command line, the
 * environment, or a dotenv-style file (`KEY=value` lines) given with `--config` or found beside the executable as
 * `smartem-agent.env`. Command line beats environment beats file.
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
] as const;
type ConfigKey = (typeof AGENT_CONFIG_KEYS)[number];

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

export interface AgentAuthInput {
  /** `--api` (already defaulted from SMARTEM_API_URL by the CLI). */
  api?: string;
  /** `--token` (already defaulted from SMARTEM_API_TOKEN by the CLI). */
  token?: string;
  /** `--config FILE`; without it `smartem-agent.env` in `executableDir` is read when it exists. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Where to look for `smartem-agent.env` (default: the directory of the running executable). */
  executableDir?: string;
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
  const fileName = input.configFile ?? join(input.executableDir ?? dirname(process.execPath), AGENT_CONFIG_FILE);
  let file: Partial<Record<ConfigKey, string>> = {};
  if (input.configFile || existsSync(fileName)) {
    let text: string;
    try {
      text = readFileSync(fileName, 'utf8');
    } catch (error) {
      throw new AgentConfigError(
        `cannot read the config file ${fileName}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    file = parseAgentConfig(text, fileName);
    if (file.SMARTEM_AGENT_CLIENT_SECRET && process.platform !== 'win32' && (statSync(fileName).mode & 0o077) !== 0) {
      input.log?.warn({ file: fileName }, 'the config file holds a client secret and is readable by other users (chmod 600 it)');
    }
  }
  const pick = (key: ConfigKey) => env[key]?.trim() || file[key]?.trim() || undefined;
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
