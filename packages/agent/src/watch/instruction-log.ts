import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AckStatus } from '@smartem/common';

/** The body of an acknowledgement (`POST …/instructions/{id}/ack`). */
export interface AckBody {
  status: AckStatus;
  result?: Record<string, unknown> | null;
  error_message?: string | null;
  processing_time_ms?: number | null;
}

/** The final acknowledgement of an instruction the agent finished. */
export type FinalAck = AckBody & { status: Exclude<AckStatus, 'received'> };

/**
 * The instructions this agent finished, durable under the state directory (`instructions.jsonl`, one
 * `{"id", "ack"}` line each, fsync'd before the backend hears of it): an instruction delivered again (its ack was lost,
 * the agent was restarted) is acknowledged again with the same outcome instead of being applied twice.
 */
export class InstructionLog {
  readonly path: string;
  private readonly finishedAcks = new Map<string, FinalAck>();
  private handle: FileHandle | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.path = join(stateDir, 'instructions.jsonl');
  }

  /** Reads what earlier runs finished (a torn last line is skipped) and opens the file for appending. */
  async open(): Promise<number> {
    await mkdir(dirname(this.path), { recursive: true });
    if (await stat(this.path).catch(() => null)) {
      const lines = createInterface({ input: createReadStream(this.path, { encoding: 'utf8' }), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        try {
          const record = JSON.parse(line) as { id: string; ack: FinalAck };
          this.finishedAcks.set(record.id, record.ack);
        } catch {
          // The process died mid-write: that instruction was not finished.
        }
      }
    }
    this.handle = await open(this.path, 'a');
    return this.finishedAcks.size;
  }

  finished(instructionId: string): FinalAck | undefined {
    return this.finishedAcks.get(instructionId);
  }

  /** Records the outcome durably (written and fsync'd when the promise resolves). */
  finish(instructionId: string, ack: FinalAck): Promise<void> {
    this.finishedAcks.set(instructionId, ack);
    const line = JSON.stringify({ id: instructionId, ack }) + '\n';
    const run = this.writing.then(async () => {
      if (!this.handle) throw new Error(`instruction log ${this.path} is not open`);
      await this.handle.write(line);
      await this.handle.datasync();
    });
    this.writing = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }
}
