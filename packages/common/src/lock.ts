/**
 * One process per directory, through a lock file (`<dir>/<file>`): the agent's state directory (two writers would
 * interleave journals) and a PGlite data directory (PGlite has no lock of its own; two processes silently lose rows).
 *
 * The lock file holds a record: pid, the process's start time, the boot id, host and a random token naming this
 * acquisition. Three rules make it correct:
 *
 * - Exclusive create with the whole record at once: the record is written to a uniquely named file which is then
 *   hard-linked to the lock path (`link` fails with EEXIST when the path exists), so nobody ever reads a half-written
 *   lock. Where hard links are not supported, `open(…, 'wx')` is used instead.
 * - A stale lock (its holder is gone) is taken over under a guard: `<lock>.takeover-<token of the stale record>`,
 *   itself acquired by this same function. Holding the guard, we read the lock again and remove it only if it still
 *   holds that stale token, then release the guard and start again with an exclusive create. Two processes that saw
 *   the same stale lock compete for the same guard; the loser finds, once the guard is free again, either no lock or
 *   the winner's live one — never a lock to remove. A guard left by a process that died inside that window is stale
 *   itself and is taken over the same way (its guard is named after its own token).
 * - A holder is alive when its pid runs and started when the record says (pid reuse: after a crash in a container the
 *   restarted process often gets the same pid). A record with our own pid is ours only if we hold its token.
 *   Start times come from `/proc/<pid>/stat` plus the boot id on Linux and from `ps` on macOS/BSD; on Windows there is
 *   no cheap way, so there only the pid (and our own-pid rule) count.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

interface LockRecord {
  pid: number;
  /** How the OS names the process's start (Linux: clock ticks since boot; macOS: `ps -o lstart`); null if unknown. */
  start: string | null;
  boot: string | null;
  host: string;
  token: string;
  since: string;
}

/** The directory is locked by a live process. The message names the directory, the holder and the lock file. */
export class DirectoryLockedError extends Error {
  override name = 'DirectoryLockedError';
  constructor(
    readonly what: string,
    readonly dir: string,
    readonly lockFile: string,
    readonly holder: { pid: number; host?: string; since?: string },
  ) {
    const on = holder.host && holder.host !== hostname() ? ` on ${holder.host}` : '';
    const since = holder.since ? ` since ${holder.since}` : '';
    super(`${what} ${dir} is in use by process ${holder.pid}${on}${since} (lock file ${lockFile})`);
    // An expected condition, not a fault in the code: a stack trace would only hide the message.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** Tokens of the locks this process holds (a record with our pid but another token is a previous incarnation's). */
const heldTokens = new Set<string>();

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

const bootId = process.platform === 'linux' ? readBootId() : null;

/** The start time of `pid` as the OS reports it, or null when the process does not exist or the OS cannot tell. */
export function processStartTime(pid: number): string | null {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 22 (starttime); the command name (field 2) is in parentheses and may contain spaces.
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
    } catch {
      return null;
    }
  }
  if (process.platform === 'win32') return null;
  try {
    return (
      execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null
    );
  } catch {
    return null;
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A record written by an older smartem (the pid alone) still names a holder; anything unreadable names none. */
function parseRecord(text: string): LockRecord | null {
  try {
    const r = JSON.parse(text) as LockRecord;
    if (Number.isInteger(r.pid) && r.pid > 0 && typeof r.token === 'string') return r;
  } catch {
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0) return { pid, start: null, boot: null, host: hostname(), token: `legacy:${text}`, since: '' };
  }
  return null;
}

function holderAlive(r: LockRecord): boolean {
  if (r.pid === process.pid) return heldTokens.has(r.token);
  if (!pidRuns(r.pid)) return false;
  if (r.boot && bootId && r.boot !== bootId) return false;
  if (r.start) {
    const start = processStartTime(r.pid);
    if (start && start !== r.start) return false;
  }
  return true;
}

function readLock(path: string): { text: string; record: LockRecord | null; modified: number } | null {
  try {
    const text = readFileSync(path, 'utf8');
    return { text, record: parseRecord(text), modified: text ? 0 : statSync(path).mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Creates `path` holding `text` only if it does not exist; false when it does. */
function createExclusive(path: string, text: string): boolean {
  const scratch = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(scratch, text, { flag: 'wx' });
  try {
    linkSync(scratch, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  } finally {
    removeIfExists(scratch);
  }
  // No hard links on this file system: exclusive open, then write (a reader may briefly see it empty).
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

type Attempt = { owned: LockRecord } | { heldBy: LockRecord };

const GIVE_UP_MS = 10_000;
/** An empty lock file younger than this is being written (no-hard-link fallback); older, its writer died. */
const EMPTY_GRACE_MS = 2_000;

let ownStart: string | null | undefined;

function acquireFile(path: string, deadline: number): Attempt {
  const mine: LockRecord = {
    pid: process.pid,
    start: (ownStart ??= processStartTime(process.pid)),
    boot: bootId,
    host: hostname(),
    token: randomBytes(12).toString('hex'),
    since: new Date().toISOString(),
  };
  const text = JSON.stringify(mine);
  for (;;) {
    if (createExclusive(path, text)) {
      heldTokens.add(mine.token);
      return { owned: mine };
    }
    const current = readLock(path);
    if (!current) continue; // released in between
    const { record } = current;
    if (record && holderAlive(record)) return { heldBy: record };
    if (!record && current.text === '' && Date.now() - current.modified < EMPTY_GRACE_MS) {
      // Being written by a writer without hard links (see createExclusive): give it a moment.
      pause(5);
      continue;
    }
    const staleToken = record?.token ?? `unreadable:${current.text}`;
    const guardPath = `${path}.takeover-${Buffer.from(staleToken).toString('hex').slice(0, 48)}`;
    const guard = acquireFile(guardPath, deadline);
    if ('heldBy' in guard) {
      // Another process is taking this stale lock over right now; look again once it is done.
      if (Date.now() > deadline) throw new Error(`could not take over the stale lock file ${path} (guard ${guardPath} stays held)`);
      pause(2);
      continue;
    }
    try {
      const again = readLock(path);
      if (again && again.text === current.text) removeIfExists(path);
    } finally {
      releaseFile(guardPath, guard.owned.token);
    }
  }
}

function releaseFile(path: string, token: string): void {
  heldTokens.delete(token);
  const current = readLock(path);
  if (current?.record?.token === token) removeIfExists(path);
}

/**
 * Makes this process the only owner of `dir` through `<dir>/<file>`, taking over a lock whose holder is gone.
 * Throws DirectoryLockedError when a live process holds it. Returns the function that releases the lock (idempotent).
 * `what` names the directory in the error, e.g. 'state directory'.
 */
export function lockDirectory(dir: string, options: { file: string; what: string }): () => void {
  const path = join(dir, options.file);
  const attempt = acquireFile(path, Date.now() + GIVE_UP_MS);
  if ('heldBy' in attempt) {
    const { pid, host, since } = attempt.heldBy;
    throw new DirectoryLockedError(options.what, dir, path, { pid, host, since: since || undefined });
  }
  const { token } = attempt.owned;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    releaseFile(path, token);
  };
}
