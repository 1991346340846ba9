import { mkdir, readFile, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { ApiError, ApiUnreachableError, SmartEmClient, type TokenSource } from '@smartem/client';
import { AthenaClient } from '@smartem/athena';
import { DirectoryLockedError, lockDirectory, type AgentMode, type Logger } from '@smartem/common';
import { classifyEpuPath, EntityAssembler, parseClassified, type ParsedEpuFile } from '@smartem/epu';
import { DEFAULT_MAX_FILE_BYTES, FileQueue, type FileQueueStats } from './file-queue.ts';
import { imageTargets, ImageUploader, type ImageStats } from './images.ts';
import { Backpressure } from './backpressure.ts';
import { InstructionLog } from './instruction-log.ts';
import { startInstructionChannel, type InstructionChannel, type InstructionStats } from './instructions.ts';
import { startIntake, type Intake } from './intake.ts';
import { Journal, type ReplaySummary } from './journal.ts';
import { defaultStateDir } from './state-dir.ts';
import { EntityStore, type Entity, type StoreCounts } from './store.ts';
import { Syncer, type SyncStats } from './sync.ts';

export interface WatchOptions {
  /** The EPU output directory (a visit, or one grid directory). */
  dir: string;
  /** Backend base URL; required unless `dryRun`. */
  api?: string;
  token?: string;
  /** Bearer tokens (client credentials or a static token); wins over `token`. */
  auth?: TokenSource;
  dryRun?: boolean;
  /** Journal location; default a per-directory folder under the user's data dir. */
  stateDir?: string;
  poll?: boolean;
  pollIntervalMs?: number;
  /** Full re-listing of the tree as a safety net (ms, default 60 s; 0: never). */
  rescanIntervalMs?: number;
  batchSize?: number;
  lingerMs?: number;
  /** Files larger than this are reported and never read (default 16 MB: no EPU manifest comes near). */
  maxFileBytes?: number;
  /** Backpressure: micrograph manifests wait unread while this many parsed entities wait for the backend (default 5,000). */
  maxPending?: number;
  requestTimeoutMs?: number;
  /**
   * Apply the backend's instructions: `observe` logs the Athena decisions it would send, `confirm` and `auto` send them
   * to the Decision Service at `athena` (confirm-mode instructions reach the agent once an operator approved them).
   * Unset: no instruction channel.
   */
  mode?: AgentMode;
  /** Athena Decision Service root URL (operations under `/api/v1`); required in confirm and auto mode. */
  athena?: string;
  /** The agent's id at the backend (default: the computer name). */
  agentId?: string;
  /** Milliseconds between heartbeats to the backend (default 30 s). */
  heartbeatMs?: number;
  /** Upload the preview JPEGs EPU writes beside its manifests (default true). */
  images?: boolean;
  log: Logger;
  /** Called with each file once it parsed and its entities are in the store (latency measurements). */
  onParsed?: (file: ParsedEpuFile) => void;
  onAcked?: (entity: Entity) => void;
}

export interface WatchStatus {
  dir: string;
  /** False while the watched directory does not exist (deleted, or a share gone): the agent waits for it to return. */
  dirPresent: boolean;
  stateDir: string | null;
  files: FileQueueStats;
  entities: StoreCounts;
  sync: SyncStats;
  journalBytes: number;
  /** Null without an instruction channel. */
  instructions: InstructionStats | null;
  /** Null with image uploads off. */
  images: ImageStats | null;
}

export interface WatchHandle {
  readonly store: EntityStore;
  readonly replay: ReplaySummary | null;
  readonly scanned: number;
  status(): WatchStatus;
  /** Resolves when every file seen so far is parsed (or reported broken) and everything sendable is acknowledged. */
  whenSettled(): Promise<void>;
  /** `whenSettled`, then every image that can be uploaded now is (images are not part of `whenSettled`). */
  whenImagesSettled(): Promise<void>;
  /** Resolves with an error when the agent cannot go on (credentials rejected). */
  readonly fatal: Promise<Error>;
  stop(): Promise<void>;
}

/** Raised for problems the user must fix before the agent can run (exit code 1 with this message). */
export class WatchSetupError extends Error {
  override name = 'WatchSetupError';
}

export async function startWatch(opts: WatchOptions): Promise<WatchHandle> {
  const { log } = opts;
  const dir = resolve(opts.dir);
  const info = await stat(dir).catch(() => null);
  if (!info) throw new WatchSetupError(`directory ${dir} does not exist`);
  if (!info.isDirectory()) throw new WatchSetupError(`${dir} is not a directory`);

  if (opts.mode && opts.mode !== 'observe' && !opts.athena && !opts.dryRun) {
    throw new WatchSetupError(`--mode ${opts.mode} sends decisions to Athena: --athena URL is required`);
  }
  if (opts.athena) {
    const protocol = URL.canParse(opts.athena) ? new URL(opts.athena).protocol : '';
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new WatchSetupError(`--athena ${JSON.stringify(opts.athena)} is not an http(s) URL`);
    }
  }
  let client: SmartEmClient | undefined;
  if (!opts.dryRun) {
    if (!opts.api) throw new WatchSetupError('--api URL is required (or --dry-run)');
    client = new SmartEmClient({
      baseUrl: opts.api,
      token: opts.token,
      auth: opts.auth,
      timeoutMs: opts.requestTimeoutMs ?? 30_000,
      retries: 0,
    });
    try {
      const status = await client.getStatus();
      log.info({ api: client.baseUrl, status: status.status }, 'API is reachable');
    } catch (error) {
      if (error instanceof ApiError && error.isAuthError) {
        throw new WatchSetupError(`the backend at ${client.baseUrl} rejected our credentials (HTTP ${error.status})`);
      }
      if (!(error instanceof ApiUnreachableError) && !(error instanceof ApiError)) throw error;
      log.warn({ api: client.baseUrl, err: error.message }, 'API not reachable yet; journaling everything until it is');
    }
  }

  const store = new EntityStore();
  let journal: Journal | undefined;
  let unlock: (() => void) | undefined;
  let replay: ReplaySummary | null = null;
  const stateDir = opts.dryRun ? null : (opts.stateDir ?? defaultStateDir(dir));
  if (stateDir) {
    journal = new Journal(stateDir);
    await mkdir(stateDir, { recursive: true });
    try {
      // One agent per state directory: two writers would interleave journals.
      unlock = lockDirectory(stateDir, { file: 'agent.lock', what: 'state directory' });
    } catch (error) {
      if (error instanceof DirectoryLockedError) throw new WatchSetupError(error.message);
      throw error;
    }
    replay = await journal.open(store);
    if (replay.records) log.info({ stateDir, ...replay }, 'journal replayed');
  }

  const maxPending = opts.maxPending ?? 5000;
  const backpressure = new Backpressure({
    count: () => store.progressingCount(),
    upperBound: () => store.pendingCount(),
    high: maxPending,
    low: Math.floor(maxPending / 2),
  });
  // Set once the file queue exists (the syncer may answer a batch before).
  let resumeReading = () => {};

  let rejectFatal: (error: Error) => void = () => {};
  const fatal = new Promise<Error>((resolveFatal) => (rejectFatal = resolveFatal));
  const syncer = new Syncer({
    store,
    journal,
    client,
    log,
    batchSize: opts.batchSize,
    lingerMs: opts.lingerMs,
    onAcked: (entity) => {
      images?.acked(entity.key);
      opts.onAcked?.(entity);
    },
    afterBatch: () => {
      if (backpressure.release()) resumeReading();
    },
    onAuthError: (error) => rejectFatal(new WatchSetupError(`the backend rejected our credentials (HTTP ${error.status})`)),
  });
  const images = opts.images === false ? undefined : new ImageUploader({ store, client, log, stateDir });
  const imagesSent = await images?.open();
  if (imagesSent) log.info({ imagesSent }, 'image log replayed');
  // Whatever the journal held unacknowledged goes out first.
  if (store.pendingCount()) syncer.wake();

  let instructions: InstructionChannel | undefined;
  if (client && stateDir && opts.mode) {
    const instructionLog = new InstructionLog(stateDir);
    const finished = await instructionLog.open();
    if (finished) log.info({ finished }, 'instruction log replayed');
    const athena = opts.athena
      ? new AthenaClient({
          baseUrl: opts.athena,
          retries: 2,
          onRetry: ({ method, url, attempt, delayMs }) => log.debug({ method, url, attempt, delayMs }, 'Athena request retried'),
        })
      : undefined;
    instructions = startInstructionChannel({
      client,
      auth: opts.auth,
      token: opts.token,
      store,
      log,
      instructionLog,
      mode: opts.mode,
      athena,
      agentId: opts.agentId,
      description: dir,
      heartbeatMs: opts.heartbeatMs,
      backlog: () => {
        const { files, entities } = status();
        return { pending: files.queued + entities.pending, orphans: entities.orphanTotal, failed: files.broken + entities.failed };
      },
    });
  }

  const assembler = new EntityAssembler(dir);
  /** Reads of atlases outside the watched directory in flight (part of "settled"). */
  let atlasReads: Promise<void> = Promise.resolve();
  const apply = (file: ParsedEpuFile): void => {
    let changed = false;
    const contributions = assembler.contributions(file);
    for (const c of contributions) changed = store.apply(c) || changed;
    if (changed) syncer.wake();
    if (images) for (const target of imageTargets(dir, file, contributions)) images.offer(target);
  };
  /** EPU keeps the atlas in the visit's `atlas/` folder: the watch of one grid directory reads it from beside it. */
  const readAtlasOutsideRoot = async (grid: string): Promise<void> => {
    const path = assembler.atlasOutsideRoot(grid);
    const file = path === null ? null : classifyEpuPath(relative(dir, path));
    if (path !== null && file?.kind === 'atlas') apply(parseClassified(file, await readFile(path), path));
  };
  const queue = new FileQueue({
    root: dir,
    onParsed: (file) => {
      apply(file);
      opts.onParsed?.(file);
      if (file.kind !== 'session') return;
      const read = readAtlasOutsideRoot(file.file.grid_dir ?? '').catch((error: Error) =>
        log.warn({ err: error.message }, 'the atlas outside the watched directory could not be read'),
      );
      atlasReads = atlasReads.then(() => read);
    },
    onBroken: (path, error) => log.error({ path, err: error.message }, 'file stays unparseable; reported and skipped'),
    maxFileBytes: opts.maxFileBytes,
    onOversize: (path, bytes) =>
      log.error(
        { path, bytes, limit: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES },
        'file is larger than any EPU manifest; not read (reported and skipped)',
      ),
    holdBack: () => backpressure.hold(),
  });
  resumeReading = () => queue.resume();
  let dirPresent = true;
  let intake: Intake;
  try {
    intake = await startIntake({
      root: dir,
      poll: opts.poll,
      pollIntervalMs: opts.pollIntervalMs,
      rescanIntervalMs: opts.rescanIntervalMs ?? 60_000,
      onFile: (path) => queue.offer(path),
      onRescanFile: (path) => queue.offerIfNew(path),
      onImageFile: images ? (path) => images.fileSeen(path) : undefined,
      onError: (error) => log.warn({ err: error.message }, 'watcher error'),
      onRootPresence: (present) => {
        dirPresent = present;
        if (present) log.warn({ dir }, 'the watched directory is back; watching it again and reading what it holds');
        else log.error({ dir }, 'the watched directory is gone; waiting for it to come back');
      },
    });
  } catch (error) {
    await instructions?.stop();
    await journal?.close();
    unlock?.();
    throw error;
  }

  const status = (): WatchStatus => ({
    dir,
    dirPresent,
    stateDir,
    files: { ...queue.stats },
    entities: store.counts(),
    sync: { ...syncer.stats },
    journalBytes: journal?.sizeBytes ?? 0,
    instructions: instructions ? { ...instructions.stats } : null,
    images: images ? { ...images.stats } : null,
  });

  const whenSettled = async (): Promise<void> => {
    for (;;) {
      await queue.whenIdle();
      await atlasReads;
      await syncer.whenIdle();
      if (queue.isIdle()) return;
    }
  };
  let stopped = false;
  return {
    store,
    replay,
    scanned: intake.scanned,
    status,
    fatal,
    whenSettled,
    async whenImagesSettled() {
      await whenSettled();
      await images?.whenIdle();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await intake.close();
      queue.stop();
      await images?.stop();
      await instructions?.stop();
      await syncer.stop();
      await journal?.close();
      unlock?.();
    },
  };
}
