import type { TableTotal } from '../repositories/table-totals.ts';

/** `table  count` lines and TOTAL, aligned, as the original tool printed them. */
export function formatTotals(totals: readonly TableTotal[]): string {
  const width = Math.max(...totals.map((t) => t.table.length), 'TOTAL'.length);
  const total = totals.reduce((sum, t) => sum + t.count, 0);
  return [...totals.map((t) => `${t.table.padEnd(width)}  ${t.count}`), `${'TOTAL'.padEnd(width)}  ${total}`].join('\n');
}
