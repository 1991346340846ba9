/**
 * Field kinds of the wire formats and the JSON schemas they generate. Nullable fields use `type: [T, "null"]`
 * (not `anyOf`), so Ajv's type coercion never turns a `null` into `""` or `0`.
 */
import { Type, type TSchema } from 'typebox';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | { enum: readonly string[] };

export interface FieldSpec {
  kind: FieldKind;
  /** May the value be null? (false for the original's NOT NULL columns: ids, names, flags with defaults) */
  nullable: boolean;
  description?: string;
}

/** ISO 8601 date-time; a value without an offset is read as UTC. */
export const DATETIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|z|[+-]\\d{2}(:?\\d{2})?)?$';

export type Fields = Record<string, FieldSpec>;

export const str = () => ({ kind: 'string', nullable: true }) as const;
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
