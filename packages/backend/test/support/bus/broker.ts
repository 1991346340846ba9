/**
 * Killing RabbitMQ connections from outside, as a network cut or broker restart does: `rabbitmqctl close_connection`
 * for the connections whose client-provided name starts with a prefix, so other test files using the broker at the
 * same time are not touched.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function rabbitmqctl(args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/** Whether this test run can use rabbitmqctl (installed and allowed to talk to the node). */
export async function canControlBroker(): Promise<boolean> {
  try {
    await rabbitmqctl(['-q', 'status']);
    return true;
  } catch {
    return false;
  }
}

/** `rabbitmqctl list_connections pid client_properties` prints one `<pid>\t[{…},{"connection_name","…"}]` line each. */
export async function connectionPids(namePrefix: string): Promise<string[]> {
  const listing = await rabbitmqctl(['list_connections', '-s', 'pid', 'client_properties']);
  const pids: string[] = [];
  for (const line of listing.split('\n')) {
    const [pid, properties] = line.split('\t');
    const name = properties?.match(/\{"connection_name","([^"]*)"\}/)?.[1];
    if (pid && name?.startsWith(namePrefix)) pids.push(pid);
  }
  return pids;
}

/** Closes every broker connection named `<namePrefix>…`; returns how many were closed. */
export async function killConnections(namePrefix: string): Promise<number> {
  const pids = await connectionPids(namePrefix);
  await Promise.all(pids.map((pid) => rabbitmqctl(['close_connection', pid, 'smartem test: connection killed mid-stream'])));
  return pids.length;
}
