/**
 * What a database column can hold, defined once: the database schema declares its columns with these lengths and
 * ranges (packages/backend/src/db/schema.ts) and the wire schemas validate with them (`fields.ts`), so a value the API
 * accepts is one the database stores — never a 500 from the database for a value that was too long or too large.
 */

/**
 * `varchar(n)` of identifiers and names: uuids, parents' uuids, natural ids, names. They are in btree indexes, whose
 * entries hold at most 2,704 bytes: two of them in a composite index at 4 bytes a character stay under that.
 */
export const ID_MAX_LENGTH = 255;
/** `varchar(n)` of other text: paths, descriptions, states. */
export const TEXT_MAX_LENGTH = 4096;
/** `varchar(n)` of documents stored as text (a processing result's particle distributions, as JSON). */
export const DOCUMENT_MAX_LENGTH = 1_000_000;
/** PostgreSQL `integer` (int4). */
export const INT4_MIN = -2147483648;
export const INT4_MAX = 2147483647;
/** JSON-schema pattern of a string without NUL characters (PostgreSQL text cannot hold U+0000). */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';
