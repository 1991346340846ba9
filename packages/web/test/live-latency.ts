/**
 * Latency from a micrograph written to the atlas showing it: the page logs, for each grid square in its list, when
 * its micrograph count first reached each value (a MutationObserver installed before the page loads); the k-th
 * micrograph written in a square is shown when that square's count first reaches k or more. Used by the live test and bench.
 */
import type { Page } from 'playwright-core';

/** A micrograph written: the grid square id it belongs to and when (ms since the epoch). */
export interface Written {
  square: string;
  at: number;
}

/** square id → count → first time (ms since the epoch) the page showed it. */
export type CountLog = Record<string, Record<string, number>>;

/** A string, not a function: the test runner's compiler would wrap named inner functions in helpers the page lacks. */
const COUNT_LOG_SCRIPT = `(() => {
  const log = {};
  window.countLog = log;
  const scan = () => {
    const now = Date.now();
    for (const el of document.querySelectorAll('[data-square-id]')) {
      const count = /, (\\d+) micrographs/.exec(el.getAttribute('aria-label') || '');
      if (!count) continue;
      const seen = (log[el.getAttribute('data-square-id')] ??= {});
      seen[count[1]] ??= now;
    }
  };
  new MutationObserver(scan).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
})();`;

export async function installCountLog(page: Page): Promise<void> {
  await page.addInitScript(COUNT_LOG_SCRIPT);
}

/**
 * For each micrograph of `written` (every write of the visit, so the k-th of a square is known), when the page first
 * showed its square's count at k or more (undefined: never); in the order given.
 */
export function shownTimes(written: readonly Written[], log: unknown): Array<number | undefined> {
  const shown = log as CountLog;
  const nth = new Map<string, number>();
  const out: Array<number | undefined> = new Array(written.length);
  for (const i of [...written.keys()].sort((a, b) => written[a]!.at - written[b]!.at)) {
    const w = written[i]!;
    const n = (nth.get(w.square) ?? 0) + 1;
    nth.set(w.square, n);
    const times = Object.entries(shown[w.square] ?? {})
      .filter(([count]) => Number(count) >= n)
      .map(([, at]) => at);
    out[i] = times.length > 0 ? Math.min(...times) : undefined;
  }
  return out;
}

/** Per micrograph written after `since`, ms until the page first showed it (see `shownTimes`); never shown: left out. */
export function latencies(written: readonly Written[], log: unknown, since: number): number[] {
  const shown = shownTimes(written, log);
  return written.flatMap((w, i) => (w.at > since && shown[i] !== undefined ? [Math.max(0, shown[i] - w.at)] : []));
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function summary(values: readonly number[]): string {
  return `${values.length} micrographs: p50 ${percentile(values, 50)} ms, p99 ${percentile(values, 99)} ms, max ${Math.max(...values)} ms`;
}

// Page-side code as strings: the root typecheck (tests and benches) has no DOM types.
const COUNT_OF = `(e) => Number((/, (\\d+) micrographs/.exec((e && e.getAttribute('aria-label')) || '') || [])[1] || 0)`;

export const readCountLog = (page: Page): Promise<CountLog> => page.evaluate('window.countLog') as Promise<CountLog>;

/** Marks the page; `stillMarked` is false once it has been reloaded. */
export const markPage = (page: Page): Promise<unknown> => page.evaluate('window.notReloaded = true');
export const stillMarked = async (page: Page): Promise<boolean> => (await page.evaluate('window.notReloaded === true')) === true;

/** Waits until the atlas list counts at least `total` micrographs over all squares. */
export async function waitForTotal(page: Page, total: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    `[...document.querySelectorAll('[data-square-id]')].map(${COUNT_OF}).reduce((a, b) => a + b, 0) >= ${total}`,
    undefined,
    {
      timeout,
      polling: 50,
    },
  );
}

/** The micrographs square `id` shows now (0 if it is not listed). */
export const squareCount = async (page: Page, id: string): Promise<number> =>
  Number(await page.evaluate(`(${COUNT_OF})(document.querySelector('[data-square-id="${id}"]'))`));

/** Waits until square `id` shows at least `n` micrographs. */
export async function waitForSquareCount(page: Page, id: string, n: number, timeout: number): Promise<void> {
  await page.waitForFunction(`(${COUNT_OF})(document.querySelector('[data-square-id="${id}"]')) >= ${n}`, undefined, {
    timeout,
    polling: 50,
  });
}
