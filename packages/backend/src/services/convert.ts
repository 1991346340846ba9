/** Wire JSON ↔ database rows. Field names are the same; datetimes are ISO strings on the wire and Dates in rows. */
import type { Fields } from '@smartem/common';
import { InvalidFieldError } from '../errors.ts';

import type { Row } from '../repositories/rows.ts';

export type { Row };

const HAS_OFFSET = /(Z|z|[+-]\d{2}(:?\d{2})?)$/;
const DATE_PART = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * An ISO date-time as a Date; a value without an offset is taken as UTC (EPU writes local times without one). A day
 * past the end of its month (JavaScript would roll 02-30 over to 03-01) is a RangeError.
 */
export function parseDateTime(value: string): Date {
  const normalised = value.replace(' ', 'T');
  const date = new Date(HAS_OFFSET.test(normalised) ? normalised : `${normalised}Z`);
  const [, year, month, day] = DATE_PART.exec(normalised) ?? [];
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(Number(year), Number(month), 0);
  const daysInMonth = lastDay.getUTCDate();
  if (Number.isNaN(date.getTime()) || !year || Number(day) > daysInMonth) throw new RangeError(`invalid date-time: ${value}`);
  return date;
}

function dateOf(field: string, value: string): Date {
  try {
    return parseDateTime(value);
  } catch {
    throw new InvalidFieldError(field, 'must be a date-time that exists (day within its month)');
  }
}

/** The columns of a (validated) body: only the entity's fields that the body has, datetimes as Dates. */
export function bodyToRow(fields: Fields, body: Row, options: { omit?: readonly string[] } = {}): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(body)) {
    const field = fields[key];
    if (!field || value === undefined || options.omit?.includes(key)) continue;
    row[key] = field.kind === 'datetime' && typeof value === 'string' ? dateOf(key, value) : value;
  }
  return row;
}

/** A stored row as the wire record: every field present, null when empty, datetimes as ISO strings. */
export function rowToWire(fields: Fields, row: Row): Row {
  const out: Row = {};
  for (const key of Object.keys(fields)) {
    const value = row[key];
    out[key] = value instanceof Date ? value.toISOString() : (value ?? null);
  }
  return out;
}
