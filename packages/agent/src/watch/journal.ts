import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EntityKind, Fields } from './entities.ts';
import type { Entity, EntityStore, StoreListener } from './store.ts';

/** Journal records, one JSON object per line. */
type JournalRecord =
  | { t: 'p'; k: string; n: EntityKind; u: string; P?: string[]; f: Fields; v: number; o?: string }
  | { t: 'a'; k: string; v: number; u: string }
  | { t: 'x'; k: string; v: number; d: string };

export interface ReplaySummary {
  records: number;
  entities: number;
  unacknowledged: number;
  /** A torn last line (the process died mid-write) is skipped. */
  skippedLines: number;
}

/**
 * The agent's durable journal: an append-only JSON-lines file under the state directory with every entity change and
 * every acknowledgement. Changes are buffered and written + fsync'd by `flush()`, which the syncer calls before it sends
 * anything, so nothing reaches the backend with a uuid that a restart could forget. Replaying it rebuilds the store:
 * same uuids for the same natural ids, and whatever was not acknowledged is sent again.
 */
export class Journal implements StoreListener {
  readonly path: string;
  private buffer: string[] = [];
  private handle: FileHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private bytes = 0;
  private bytesAfterCompaction = 0;

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, 'journal.jsonl');
  }

  /** Creates the state directory, replays an existing journal into `store`, then starts listening to it. */
  async open(store: EntityStore): Promise<ReplaySummary> {
    await mkdir(this.stateDir, { recursive: true });
    const summary = await replayJournal(this.path, store);
    this.handle = await open(this.path, 'a');
    this.bytes = this.bytesAfterCompaction = (await stat(this.path)).size;
    store.listener = this;
    return summary;
  }

  put(entity: Entity, delta: Fields, created: boolean): void {
    const record: JournalRecord = { t: 'p', k: entity.key, n: entity.kind, u: entity.uuid, f: delta, v: entity.version };
    if (created) record.P = entity.parents;
    if (entity.order !== undefined) record.o = entity.order;
    this.buffer.push(JSON.stringify(record));
  }

  ack(entity: Entity): void {
    this.buffer.push(JSON.stringify({ t: 'a', k: entity.key, v: entity.acked, u: entity.uuid } satisfies JournalRecord));
  }

  fail(entity: Entity): void {
    this.buffer.push(JSON.stringify({ t: 'x', k: entity.key, v: entity.version, d: entity.failed ?? '' } satisfies JournalRecord));
  }

  /** Writes and fsyncs everything buffered so far. Serialised: concurrent calls queue up. */
  flush(): Promise<void> {
    const run = this.writing.then(async () => {
      if (this.buffer.length === 0 || !this.handle) return;
      const text = this.buffer.join('\n') + '\n';
      this.buffer = [];
      await this.handle.write(text);
      await this.handle.datasync();
      this.bytes += Buffer.byteLength(text);
    });
    this.writing = run.catch(() => {});
    return run;
  }

  /** True when the journal has grown well past its live content (checked by the syncer when idle). */
  shouldCompact(minBytes = 32 * 1024 * 1024): boolean {
    return this.bytes > minBytes && this.bytes > 2 * this.bytesAfterCompaction;
  }

  /** Rewrites the journal as one record per entity (plus its ack), atomically (write, fsync, rename). */
  compact(store: EntityStore): Promise<void> {
    const run = this.writing.then(async () => {
      if (!this.handle) return;
      const lines: string[] = [];
      for (const e of store.entities.values()) {
        const put: JournalRecord = { t: 'p', k: e.key, n: e.kind, u: e.uuid, P: e.parents, f: e.fields, v: e.version };
        if (e.order !== undefined) put.o = e.order;
        lines.push(JSON.stringify(put));
        if (e.acked > 0) lines.push(JSON.stringify({ t: 'a', k: e.key, v: e.acked, u: e.uuid } satisfies JournalRecord));
        if (e.failed) lines.push(JSON.stringify({ t: 'x', k: e.key, v: e.version, d: e.failed } satisfies JournalRecord));
      }
      // The snapshot already holds whatever was buffered.
      this.buffer = [];
      const text = lines.length ? lines.join('\n') + '\n' : '';
      const tmp = `${this.path}.tmp`;
      const out = await open(tmp, 'w');
      try {
        await out.write(text);
        await out.sync();
      } finally {
        await out.close();
      }
      await this.handle.close();
      await rename(tmp, this.path);
      this.handle = await open(this.path, 'a');
      this.bytes = this.bytesAfterCompaction = Buffer.byteLength(text);
    });
    this.writing = run.catch(() => {});
    return run;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** Reads a journal into a store (used by `open` and by `watch --status`). A missing file is an empty journal. */
export async function replayJournal(path: string, store: EntityStore): Promise<ReplaySummary> {
  const summary: ReplaySummary = { records: 0, entities: 0, unacknowledged: 0, skippedLines: 0 };
  let input;
  try {
    await stat(path);
    input = createReadStream(path, { encoding: 'utf8' });
  } catch {
    return summary;
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    let r: JournalRecord;
    try {
      r = JSON.parse(line) as JournalRecord;
    } catch {
      summary.skippedLines++;
      continue;
    }
    summary.records++;
    if (r.t === 'p') store.restore({ key: r.k, kind: r.n, uuid: r.u, parents: r.P, fields: r.f, version: r.v, order: r.o });
    else if (r.t === 'a') store.ack(r.k, r.v, r.u, false);
    else if (r.t === 'x') store.fail(r.k, r.v, r.d, false);
  }
  summary.entities = store.entities.size;
  summary.unacknowledged = store.pendingCount();
  return summary;
}
