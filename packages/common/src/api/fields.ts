/**
 * Field kinds of the wire formats and the JSON schemas they generate. Nullable fields use `type: [T, "null"]`
 * (not `anyOf`), so Ajv's type coercion never turns a `null` into `""` or `0`.
 */
import { Type, type TSchema } from 'typebox';
import { DOCUMENT_MAX_LENGTH, ID_MAX_LENGTH, INT4_MAX, INT4_MIN, NO_NUL_PATTERN, TEXT_MAX_LENGTH } from './limits.ts';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | { enum: readonly string[] };

export interface FieldSpec {
  kind: FieldKind;
  /** May the value be null? (false for the original's NOT NULL columns: ids, names, flags with defaults) */
  nullable: boolean;
  /** Strings: the column's `varchar(n)` (`limits.ts`); at least `minLength` characters. */
  maxLength?: number;
  minLength?: number;
  description?: string;
}

/**
 * ISO 8601 date-time, each part in its range (month 01–12, day 01–31, hour 00–23, …; year 0001–9999); a value without
 * an offset is read as UTC. A day past the end of its month (02-30) is refused when the value is read (`parseDateTime`).
 */
export const DATETIME_PATTERN =
  '^(?!0000)\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[T ]([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,9})?)?(Z|z|[+-]([01]\\d|2[0-3])(:?[0-5]\\d)?)?$';

export type Fields = Record<string, FieldSpec>;

/** A schema error's message in words where the validator would only quote a pattern (NUL characters, date-times). */
export function schemaErrorMessage(error: { keyword?: string; message?: string; params?: Record<string, unknown> }): string {
  if (error.keyword === 'pattern' && error.params?.pattern === NO_NUL_PATTERN) return 'must not contain NUL (\\u0000) characters';
  if (error.keyword === 'pattern' && error.params?.pattern === DATETIME_PATTERN) {
    return 'must be an ISO 8601 date-time with every part in range (YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm])';
  }
  return error.message ?? 'invalid';
}

/** Free text (paths, descriptions): `varchar(TEXT_MAX_LENGTH)`. */
export const str = () => ({ kind: 'string', nullable: true, maxLength: TEXT_MAX_LENGTH }) as const;
/** An identifier or name (a parent's uuid, a natural id): `varchar(ID_MAX_LENGTH)`, in indexes. */
export const id = () => ({ kind: 'string', nullable: true, maxLength: ID_MAX_LENGTH }) as const;
/** An entity's own uuid: an identifier that is never empty. */
export const uuid = () => ({ kind: 'string', nullable: true, maxLength: ID_MAX_LENGTH, minLength: 1 }) as const;
/** A document stored as text (JSON): `varchar(DOCUMENT_MAX_LENGTH)`. */
export const doc = () => ({ kind: 'string', nullable: true, maxLength: DOCUMENT_MAX_LENGTH }) as const;
export const int = () => ({ kind: 'integer', nullable: true }) as const;
export const num = () => ({ kind: 'number', nullable: true }) as const;
export const bool = () => ({ kind: 'boolean', nullable: true }) as const;
export const datetime = () => ({ kind: 'datetime', nullable: true }) as const;
export const oneOf = <const V extends readonly string[]>(values: V) => ({ kind: { enum: values }, nullable: true }) as const;
/** The same field, never null. */
export const required = <F extends FieldSpec>(field: F): Omit<F, 'nullable'> & { readonly nullable: false } => ({
  ...field,
  nullable: false,
});

type KindValue<K> = K extends 'string' | 'datetime'
  ? string
  : K extends 'integer' | 'number'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends { enum: readonly (infer E)[] }
        ? E
        : never;
type FieldValue<F> = F extends { kind: infer K; nullable: infer N } ? KindValue<K> | (N extends true ? null : never) : never;

/** The TypeScript type of a record of `fields` (every field present; datetimes as ISO strings). */
export type WireRecord<F extends Fields> = { -readonly [K in keyof F]: FieldValue<F[K]> };

/** The JSON schema of one field. */
export function fieldSchema(field: FieldSpec): TSchema {
  const extra: Record<string, unknown> = field.description ? { description: field.description } : {};
  const kind = field.kind;
  if (typeof kind === 'object') {
    const values: Array<string | null> = field.nullable ? [...kind.enum, null] : [...kind.enum];
    return Type.Unsafe({ type: field.nullable ? ['string', 'null'] : 'string', enum: values, ...extra });
  }
  const base = kind === 'datetime' ? 'string' : kind;
  if (kind === 'string') {
    if (field.minLength) extra.minLength = field.minLength;
    if (field.maxLength) extra.maxLength = field.maxLength;
    extra.pattern = NO_NUL_PATTERN;
  }
  if (kind === 'integer') Object.assign(extra, { minimum: INT4_MIN, maximum: INT4_MAX });
  if (kind === 'datetime') {
    // No `format: date-time`: that would reject the offset-less times EPU writes (read as UTC).
    extra.pattern = DATETIME_PATTERN;
    extra.description ??= 'ISO 8601 date-time; without an offset it is read as UTC';
  }
  return Type.Unsafe({ type: field.nullable ? [base, 'null'] : base, ...extra });
}

/** Object schema over `fields`; `requiredKeys` must be present, all others may be omitted. */
export function objectSchema(
  $id: string | undefined,
  fields: Fields,
  requiredKeys: readonly string[],
  options: { additionalProperties?: boolean; description?: string } = {},
): TSchema {
  const properties: Record<string, TSchema> = {};
  for (const [name, field] of Object.entries(fields)) properties[name] = fieldSchema(field);
  return Type.Unsafe({
    ...($id ? { $id } : {}),
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    properties,
    required: requiredKeys.filter((k) => k in fields),
    additionalProperties: options.additionalProperties ?? false,
  });
}
