/** What the dashboard benches (web, web-live) share: their integer options and loading entities through the batch API. */
import type { FedBackend } from '../packages/web/test/fixture.ts';

/** `--name N` from the command line (a positive integer), else `fallback`; anything else exits with a message. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`error: --${name} must be a positive integer, got "${process.argv[i + 1]}"\n`);
    process.exit(2);
  }
  return v;
}

/** Posts `items` of `kind` through the batch route in chunks of its limit; a rejected item is an error. */
export async function batch(fed: FedBackend, kind: string, items: object[]): Promise<void> {
  for (let i = 0; i < items.length; i += 5000) {
    const out = await fed.api<{ results: Array<{ outcome: string; error?: string }> }>(`/batch/${kind}`, {
      method: 'POST',
      body: JSON.stringify({ items: items.slice(i, i + 5000) }),
    });
    const bad = out.results.find((r) => r.outcome === 'rejected');
    if (bad) throw new Error(`batch ${kind} rejected an item: ${JSON.stringify(bad)}`);
  }
}
