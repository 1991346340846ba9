import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kind } from '@smartem/common';
import type { EntityFields } from './entities.ts';
import type { Entity, EntityStore, StoreListener } from './store.ts';

/** Journal records, one JSON object per line. */
type JournalRecord =
  | { t: 'p'; k: string; n: Kind; u: string; P?: string[]; f: EntityFields; h?: string; v: number; o?: string }
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
  /** A failed write of `flushSoon`, reported by the next `flush()`. */
  private backgroundError: unknown;
  private flushQueued = false;
  private syncQueued = false;
  /** Written and not fsync'd yet: anything; new entities' records (what a send needs durable). */
  private unsynced = false;
  private putsUnsynced = false;
  /** The buffer holds new entities' records. */
  private putsBuffered = false;

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

  put(entity: Entity, delta: EntityFields, created: boolean): void {
    const record: JournalRecord = { t: 'p', k: entity.key, n: entity.kind, u: entity.uuid, f: delta, v: entity.version };
    if (created) record.P = entity.parents;
    if (entity.order !== undefined) record.o = entity.order;
    this.buffer.push(JSON.stringify(record));
    // Only a new entity's record must be durable before a send: its uuid is what a restart must not forget. A lost
    // update is made again by the restart's reading of every file (and sent again: the batch routes are idempotent).
    if (created) this.putsBuffered = true;
    this.flushSoon();
  }

  /**
   * Starts writing and fsyncing the entity records buffered so far in the background (a failure is reported by the
   * next `flush()`), so that the syncer's `flush()` before its next request finds them durable already instead of
   * waiting for the disk then. At most one such sync waits at a time.
   */
  syncSoon(): void {
    if (this.syncQueued || !(this.putsBuffered || this.putsUnsynced)) return;
    this.syncQueued = true;
    this.write('puts')
      .catch((error: unknown) => (this.backgroundError ??= error))
      .finally(() => (this.syncQueued = false));
  }

  /**
   * Writes the buffer out (no fsync: that is `flush`'s job before a send) once a few hundred records wait: lines that
   * wait longer outlive V8's young generation and are then only freed by a full collection (memory during catch-up).
   */
  private flushSoon(maxBuffered = 256): void {
    if (this.buffer.length < maxBuffered || this.flushQueued) return;
    this.flushQueued = true;
    this.write('none')
      .catch((error: unknown) => (this.backgroundError ??= error))
      .finally(() => (this.flushQueued = false));
  }

  ack(entity: Entity): void {
    this.buffer.push(JSON.stringify({ t: 'a', k: entity.key, v: entity.acked, u: entity.uuid } satisfies JournalRecord));
  }

  fail(entity: Entity): void {
    this.buffer.push(JSON.stringify({ t: 'x', k: entity.key, v: entity.version, d: entity.failed ?? '' } satisfies JournalRecord));
  }

  /**
   * Writes everything buffered so far and fsyncs it if any new entity's record (a uuid the backend may be sent) is not durable
   * yet: what the syncer needs before a send. Acknowledgements alone are not fsync'd (a lost one only means an
   * idempotent resend after a restart), so a send never waits for the previous batch's acks to reach the disk.
   * Serialised: concurrent calls queue up.
   */
  flush(): Promise<void> {
    return this.write('puts');
  }

  /** Writes everything buffered so far, without fsync (the acknowledgements of a batch). */
  writeOut(): Promise<void> {
    return this.write('none');
  }

  private write(sync: 'none' | 'puts' | 'all'): Promise<void> {
    const run = this.writing.then(async () => {
      if (this.backgroundError !== undefined) {
        const error = this.backgroundError;
        this.backgroundError = undefined;
        throw error;
      }
      if (!this.handle) return;
      if (this.buffer.length > 0) {
        const text = this.buffer.join('\n') + '\n';
        const puts = this.putsBuffered;
        this.buffer = [];
        this.putsBuffered = false;
        await this.handle.write(text);
        this.bytes += Buffer.byteLength(text);
        this.unsynced = true;
        this.putsUnsynced ||= puts;
      }
      if ((sync === 'puts' && this.putsUnsynced) || (sync === 'all' && this.unsynced)) {
        await this.handle.datasync();
        this.unsynced = this.putsUnsynced = false;
      }
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
      // The snapshot already holds whatever was buffered.
      this.buffer = [];
      this.putsBuffered = false;
      const tmp = `${this.path}.tmp`;
      const out = await open(tmp, 'w');
      let written = 0;
      try {
        // Written in chunks: one string of the whole snapshot would double the agent's peak memory during catch-up.
        let chunk: string[] = [];
        let chunkChars = 0;
        const push = async (record: JournalRecord): Promise<void> => {
          const line = JSON.stringify(record);
          chunk.push(line);
          chunkChars += line.length + 1;
          if (chunkChars >= 1 << 20) await writeChunk();
        };
        const writeChunk = async (): Promise<void> => {
          if (chunk.length === 0) return;
          const text = chunk.join('\n') + '\n';
          chunk = [];
          chunkChars = 0;
          await out.write(text);
          written += Buffer.byteLength(text);
        };
        // A copy of the entity list: entities may change while chunks are written; the buffer keeps those changes.
        for (const e of [...store.entities.values()]) {
          const put: JournalRecord = { t: 'p', k: e.key, n: e.kind, u: e.uuid, P: e.parents, f: e.fields, v: e.version };
          if (e.order !== undefined) put.o = e.order;
          if (e.digest !== undefined) put.h = e.digest;
          await push(put);
          if (e.acked > 0) await push({ t: 'a', k: e.key, v: e.acked, u: e.uuid });
          if (e.failed) await push({ t: 'x', k: e.key, v: e.version, d: e.failed });
        }
        await writeChunk();
        await out.sync();
      } finally {
        await out.close();
      }
      await this.handle.close();
      await rename(tmp, this.path);
      this.handle = await open(this.path, 'a');
      this.unsynced = this.putsUnsynced = false;
      this.bytes = this.bytesAfterCompaction = written;
    });
    this.writing = run.catch(() => {});
    return run;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    await this.write('all');
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** Kinds as journals written before the agent took the API's kind names spell them. */
const RENAMED_KINDS: Record<string, Kind> = { tile: 'atlastile', link: 'position' };

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
    if (r.t === 'p')
      store.restore({
        key: r.k,
        kind: RENAMED_KINDS[r.n] ?? r.n,
        uuid: r.u,
        parents: r.P,
        fields: r.f,
        digest: r.h,
        version: r.v,
        order: r.o,
      });
    else if (r.t === 'a') store.ack(r.k, r.v, r.u, false);
    else if (r.t === 'x') store.fail(r.k, r.v, r.d, false);
  }
  summary.entities = store.entities.size;
  summary.unacknowledged = store.pendingCount();
  return summary;
}
