/**
 * Reading CSV files (RFC 4180: quoted fields, embedded commas and newlines, CRLF) through csv-parse, with errors that
 * name the file, line and column. Cells are strings, trimmed; blank lines are skipped; rows may differ in length
 * (callers check the columns they need).
 */
import { readFile } from 'node:fs/promises';
import { parse, CsvError } from 'csv-parse/sync';

export interface CsvRow {
  /** 1-based line the row starts on. */
  line: number;
  cells: string[];
}

/** Bad content in a CSV file; the message starts with `<file>: line <n>[, column <m>]: `. */
export class CsvFileError extends Error {
  override name = 'CsvFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number | undefined,
    reason: string,
  ) {
    super(`${file}: line ${line}${column === undefined ? '' : `, column ${column}`}: ${reason}`);
  }
}

/** Parses `text`, the content of `file` (named in errors). `comment`: a character that starts a comment line. */
export function parseCsv(text: string, file: string, options: { comment?: string } = {}): CsvRow[] {
  let records: Array<{ record: string[]; info: { bytes: number } }>;
  try {
    records = parse(text, {
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      ...(options.comment ? { comment: options.comment, comment_no_infix: true } : {}),
    }) as unknown as typeof records; // with info, csv-parse returns these objects instead of bare records
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const { lines, index } = error as CsvError & { lines?: number; index?: number };
    const reason = error.message.replace(/ (at|on) line \d+/, '');
    throw new CsvFileError(file, lines ?? 0, index === undefined ? undefined : index + 1, reason);
  }
  // Line numbers from byte offsets: info.bytes is where the record (and its line break) ends; a quoted cell may
  // hold line breaks, so the record starts that many lines earlier.
  const bytes = Buffer.from(text, 'utf8');
  let scanned = 0;
  let breaks = 0;
  return records.map(({ record, info }) => {
    const end = bytes[info.bytes - 1] === 0x0a ? info.bytes - 1 : info.bytes;
    for (; scanned < end; scanned++) if (bytes[scanned] === 0x0a) breaks++;
    const inside = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    return { line: breaks + 1 - inside, cells: record };
  });
}

/** Reads and parses a CSV file. */
export async function readCsvFile(file: string, options: { comment?: string } = {}): Promise<CsvRow[]> {
  return parseCsv(await readFile(file, 'utf8'), file, options);
}

/**
 * A CSV with a header row: the index of each named column (missing required ones are an error naming them) and
 * the rows below it.
 */
export function withHeader(rows: CsvRow[], file: string, required: readonly string[]): { column: Record<string, number>; rows: CsvRow[] } {
  const [header, ...body] = rows;
  if (!header) throw new CsvFileError(file, 1, undefined, 'empty file (expected a header row)');
  const column: Record<string, number> = {};
  for (const [i, name] of header.cells.entries()) column[name] ??= i;
  const missing = required.filter((name) => column[name] === undefined);
  if (missing.length > 0) throw new CsvFileError(file, header.line, undefined, `missing column(s) ${missing.join(', ')}`);
  return { column, rows: body };
}
