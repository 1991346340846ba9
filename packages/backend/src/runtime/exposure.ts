/**
 * Safe defaults for serving the API: with OpenID Connect configured every mode enforces it; without it only loopback
 * may be served openly (`smartem up` on this machine, the demo), and anything else needs `--insecure`.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

function isLoopbackAddress(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const v6 = address.toLowerCase();
  return v6 === '::1' || /^::ffff:127\./.test(v6);
}

/** True when every address `host` names is a loopback address (a name that does not resolve is not loopback). */
export async function isLoopbackHost(host: string): Promise<boolean> {
  if (isIP(host)) return isLoopbackAddress(host);
  try {
    const addresses = await lookup(host, { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}

export interface ExposureCheck {
  /** The process name for messages, e.g. `smartem up`. */
  command: string;
  host: string;
  authConfigured: boolean;
  insecure: boolean;
  /** The command serves other machines by design (`smartem backend api`): loopback does not excuse missing auth. */
  networkService: boolean;
}

/** `refuse`: a one-line reason not to start; `warn`: start, but say that the API is open. */
export async function checkExposure(c: ExposureCheck): Promise<{ refuse?: string; warn?: string }> {
  if (c.authConfigured) return {};
  if (!c.networkService && (await isLoopbackHost(c.host))) return {};
  const what = c.networkService ? 'without authentication' : `on ${c.host} (not a loopback address) without authentication`;
  if (c.insecure)
    return { warn: `${c.command}: serving the API ${what} because of --insecure: anyone who can reach it may read, write and delete` };
  return { refuse: `${c.command}: refusing to serve the API ${what}; set SMARTEM_OIDC_ISSUER (see docs/security.md) or pass --insecure` };
}
