/**
 * EPU's default order beside SmartEM on the atlas page: the closed loop plays EPU's default order first, on its own
 * (the counterfactual), then SmartEM's session; as SmartEM collects, the curve of what EPU's default order had is
 * stored for the grid (`PUT /grids/{uuid}/epu_default_order`, the whole curve so far, at most once a second) so the
 * atlas page's "good micrographs over time" plot draws it live.
 *
 * The two sessions run on different clocks (EPU's default order never waits for a decision), so the counterfactual is
 * not placed by its own times: the x axis is SmartEM's acquisition time, and each SmartEM hole gives one point — at
 * that hole's acquisition time (the plot's axis), the good micrographs EPU's default order had collected after the
 * same beam time SmartEM had spent by then. At any time on the plot both lines are then the same beam time in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SmartEmClient } from '@smartem/client';
import type { EpuDefaultOrder, EpuDefaultOrderResult } from '@smartem/common';
import type { HoleCollected, HoleProgress } from './closed-loop.ts';

/** The API's limit on points per curve. */
const MAX_POINTS = 20_000;

/** Good micrographs EPU's default order had collected by each beam time (its holes as the play collected them). */
export function goodMicrographsByBeamTime(holes: readonly HoleCollected[]): (beamTime: number) => number {
  const byBeamTime = [...holes].sort((a, b) => a.beamTime - b.beamTime);
  const cumulative: number[] = [];
  let good = 0;
  for (const h of byBeamTime) cumulative.push((good += h.good ? h.micrographs : 0));
  return (beamTime) => {
    let lo = 0;
    let hi = byBeamTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byBeamTime[mid]!.beamTime <= beamTime) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : cumulative[lo - 1]!;
  };
}

export interface EpuDefaultFeedOptions {
  api: string;
  /** Good micrographs EPU's default order had by a beam time (`goodMicrographsByBeamTime`). */
  goodAt: (beamTime: number) => number;
  /** Real ms between stores of a changed curve (default 1000). */
  intervalMs?: number;
}

export interface EpuDefaultFeed {
  /** A hole SmartEM collected (the play's `onHole`). */
  add(p: HoleProgress): void;
  /** Stores the final curve and stops; resolves with the points stored (an error when the last store failed). */
  stop(): Promise<number>;
}

/**
 * The curve as the API takes it: by acquisition time, each count not below the one before (the play reports holes as
 * their files complete, a few out of order), thinned to the API's limit keeping the last point.
 */
export function epuDefaultPoints(holes: readonly HoleProgress[], goodAt: (beamTime: number) => number): EpuDefaultOrder['points'] {
  const sorted = [...holes].sort((a, b) => a.acquiredMs - b.acquiredMs);
  let points: EpuDefaultOrder['points'] = [];
  let beamTime = 0;
  let good = 0;
  for (const h of sorted) {
    beamTime = Math.max(beamTime, h.beamTime);
    good = Math.max(good, goodAt(h.beamTime));
    points.push({ t: h.acquiredMs, beam_time: beamTime, good });
  }
  while (points.length > MAX_POINTS) points = points.filter((_, k) => k % 2 === 1 || k === points.length - 1);
  return points;
}

/** Stores the curve for the backend's grid (its first: the closed loop plays one) as SmartEM's holes come. */
export function feedEpuDefault(o: EpuDefaultFeedOptions): EpuDefaultFeed {
  const client = new SmartEmClient({ baseUrl: o.api });
  const holes: HoleProgress[] = [];
  let sent = 0;
  let stored = 0;
  let gridUuid: string | undefined;
  let lastError: unknown;
  const stopped = new AbortController();
  const store = async (signal?: AbortSignal): Promise<void> => {
    if (holes.length === sent) return;
    const n = holes.length;
    try {
      gridUuid ??= (await client.http.request<Array<{ uuid: string }>>('GET', 'grids', { signal }))[0]?.uuid;
      if (!gridUuid) return;
      const body: EpuDefaultOrder = { points: epuDefaultPoints(holes.slice(0, n), o.goodAt) };
      const r = await client.http.request<EpuDefaultOrderResult>('PUT', `grids/${gridUuid}/epu_default_order`, { body, signal });
      stored = r.points;
      sent = n;
      lastError = undefined;
    } catch (error) {
      // A busy backend is no reason to stop: the whole curve goes again next time.
      lastError = error;
    }
  };
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      await store(stopped.signal);
      await sleep(o.intervalMs ?? 1000, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    add: (p) => void holes.push({ ...p }),
    async stop() {
      stopped.abort();
      await loop;
      await store();
      if (lastError !== undefined && stored === 0) throw lastError;
      return stored;
    },
  };
}
