/** Conversions of trimmed element text into record values. Empty text (or i:nil) is "absent" → null. */
import { EpuParseError } from '../errors.ts';

export function float(path: string, field: string, text: string): number | null {
  if (text === '') return null;
  const value = Number(text);
  if (Number.isNaN(value)) throw new EpuParseError(path, `field ${field}: not a number: ${JSON.stringify(text)}`);
  return value;
}

/** Integer part of a number written as text ("51.28809" → 51), like Python's int(float(text)). */
export function int(path: string, field: string, text: string): number | null {
  const value = float(path, field, text);
  return value === null ? null : Math.trunc(value);
}

export function bool(text: string): boolean {
  return text.toLowerCase() === 'true';
}

/**
 * A copy of `text` that does not share memory with the document it was cut from. V8 substrings keep their whole
 * parent string alive, so a record holding a 36-character id would otherwise pin the file's entire text.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

export function str(text: string): string | null {
  return text === '' ? null : detach(text);
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** EPU timestamps are kept as written (ISO 8601, up to 7 fractional digits, `Z` or `±hh:mm` offset preserved). */
export function isoDateTime(path: string, field: string, text: string): string | null {
  if (text === '') return null;
  if (!ISO_8601.test(text)) throw new EpuParseError(path, `field ${field}: not an ISO 8601 date-time: ${JSON.stringify(text)}`);
  return detach(text);
}

export function required<T>(path: string, field: string, value: T): NonNullable<T> {
  if (value === null || value === undefined) throw new EpuParseError(path, `missing required field ${field}`);
  return value;
}
