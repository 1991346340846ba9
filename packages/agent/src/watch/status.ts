import { resolve } from 'node:path';
import { replayJournal } from './journal.ts';
import { defaultStateDir } from './state-dir.ts';
import { EntityStore } from './store.ts';

/** `smartem agent watch DIR --status`: what the journal says, without starting a watch (read only). */
export async function printJournalStatus(dir: string, stateDir: string | undefined, json: boolean): Promise<number> {
  const state = stateDir ?? defaultStateDir(resolve(dir));
  const store = new EntityStore();
  const replay = await replayJournal(`${state}/journal.jsonl`, store);
  const counts = store.counts();
  const orphans = store.listOrphans(50);
  const failed = [...store.entities.values()].filter((e) => e.failed).map((e) => ({ key: e.key, detail: e.failed }));
  if (json) {
    process.stdout.write(
      JSON.stringify({ stateDir: state, journal: replay, ...counts, orphanList: orphans, failedList: failed }, null, 2) + '\n',
    );
    return 0;
  }
  const out: string[] = [`state directory: ${state}`];
  if (replay.records === 0) out.push('journal: empty (this directory has not been watched with this state directory)');
  out.push(
    `entities: ${Object.entries(counts.entities)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  out.push(`acknowledged by the backend: ${counts.synced}; not yet: ${counts.pending}; rejected: ${counts.failed}`);
  out.push(`orphans (waiting for a parent): ${counts.orphanTotal}`);
  for (const o of orphans) out.push(`  ${o.key} waits for ${o.waitingFor.join(', ')}`);
  for (const f of failed.slice(0, 50)) out.push(`  rejected ${f.key}: ${f.detail}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
