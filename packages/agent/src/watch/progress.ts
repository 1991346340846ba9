import type { WatchStatus } from './watch.ts';

/** One line for humans: files seen/parsed, entities synced/pending, orphans, rate. */
export function statusLine(s: WatchStatus, ratePerSec?: number): string {
  const e = s.entities;
  const total = Object.values(e.entities).reduce((a, b) => a + b, 0);
  const parts = s.dirPresent ? [] : [`${s.dir} is gone (waiting for it to come back)`];
  parts.push(`files ${s.files.parsed}/${s.files.seen} parsed`, `entities ${e.synced}/${total} synced`);
  if (ratePerSec !== undefined) parts.push(`${Math.round(ratePerSec)} files/s`);
  if (e.pending) parts.push(`${e.pending} pending`);
  if (s.files.holding) parts.push('reading held back until the backend catches up');
  if (e.orphanTotal) parts.push(`${e.orphanTotal} orphans`);
  if (s.files.broken) parts.push(`${s.files.broken} broken files`);
  if (s.files.oversize) parts.push(`${s.files.oversize} oversize files not read`);
  if (e.failed) parts.push(`${e.failed} rejected`);
  if (!s.sync.backendUp) parts.push(`backend unavailable (${s.sync.lastError ?? 'no answer'})`);
  return parts.join(', ');
}

/** Progress while catching up: a line rewritten in place on a TTY, a line every few seconds otherwise. */
export class CatchUpProgress {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private lastParsed = 0;
  private lastAt = Date.now();

  constructor(
    private readonly read: () => WatchStatus,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  start(): void {
    const tty = Boolean(this.out.isTTY);
    this.timer = setInterval(() => this.print(tty), tty ? 500 : 5000);
    this.timer.unref();
  }

  finish(): void {
    clearInterval(this.timer);
    const s = this.read();
    const secs = (Date.now() - this.started) / 1000;
    if (this.out.isTTY) this.out.write('\r\x1b[K');
    this.out.write(`caught up in ${secs.toFixed(1)} s: ${statusLine(s)}; watching for new files\n`);
  }

  private print(tty: boolean): void {
    const s = this.read();
    const now = Date.now();
    const rate = ((s.files.parsed - this.lastParsed) * 1000) / Math.max(1, now - this.lastAt);
    this.lastParsed = s.files.parsed;
    this.lastAt = now;
    const line = `catching up: ${statusLine(s, rate)}`;
    if (tty) this.out.write(`\r\x1b[K${line.slice(0, (this.out.columns ?? 120) - 1)}`);
    else this.out.write(`${line}\n`);
  }
}
