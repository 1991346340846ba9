/** Reading and parsing one file: the unit of work of the calling thread and of the parse workers. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { EpuFileKind } from '../classify.ts';
import { EpuParseError } from '../errors.ts';
import { PARSERS, type EpuRecordByKind } from '../parse-file.ts';

export interface ParseJob {
  kind: EpuFileKind;
  path: string;
}

export type ParseOutcome = { ok: true; record: EpuRecordByKind[EpuFileKind]; bytes: number } | { ok: false; reason: string };

// One growing scratch buffer per thread: reading thousands of small files allocates no Buffer per file, which keeps
// the process's external memory (and so its RSS) flat.
let scratch = Buffer.allocUnsafe(1 << 16);

/** Reads a whole file as UTF-8 text through the scratch buffer; returns the text and its size in bytes. */
function readText(path: string): { text: string; bytes: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
    let read = 0;
    while (read < size) {
      const n = readSync(fd, scratch, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: scratch.toString('utf8', 0, read), bytes: read };
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses one file; used on the calling thread and inside workers. */
export function parseOne(job: ParseJob): ParseOutcome {
  let file: { text: string; bytes: number };
  try {
    file = readText(job.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: `cannot read file${code ? ` (${code})` : ''}` };
  }
  try {
    return { ok: true, record: PARSERS[job.kind](file.text, job.path), bytes: file.bytes };
  } catch (error) {
    return { ok: false, reason: error instanceof EpuParseError ? error.reason : String(error) };
  }
}
