/** Rows as the repositories read and write them: column name → value (datetimes as Dates). */
export type Row = Record<string, unknown>;

/** Same stored value? (Dates by instant; everything else strictly.) */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  return (a ?? null) === (b ?? null);
}

/** The keys of `changes` whose value differs from `stored`. */
export function changedKeys(stored: Row, changes: Row): string[] {
  return Object.keys(changes).filter((k) => !sameValue(stored[k], changes[k]));
}
