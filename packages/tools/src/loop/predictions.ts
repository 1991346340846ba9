/**
 * A hole scorer's predictions into the live backend, as the closed loop plays: each foil hole's prediction is posted
 * (`POST /grids/{uuid}/predictions`, by EPU's foil hole id) once the agent has registered the hole, so the backend
 * ranks with the same predictions the offline harness's `+predictions` policy reads. The value sent is the
 * probability σ(score) of the harness's score (`predictionScore`); the backend reads it back as logit(value) = score.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SmartEmClient } from '@smartem/client';
import type { FoilholePredictionsResult } from '@smartem/common';
import { PREDICTION_MODEL, predictionScore, sigmoid } from '@smartem/decisions';

export interface PredictionFeedOptions {
  api: string;
  /** EPU foil hole id → predicted CTF resolution (Å), for every hole that has a prediction. */
  predicted: ReadonlyMap<number, number>;
  /** Good-hole threshold (Å) of the score. */
  threshold: number;
  /** Real ms between posts of the predictions still unstored (default 1000). */
  intervalMs?: number;
}

export interface PredictionFeed {
  /** Stops posting; resolves with how many predictions were stored (an error when none was and posting failed). */
  stop(): Promise<number>;
}

/** Posts the predictions of holes the backend knows, again and again for the rest, until stopped or all are stored. */
export function feedPredictions(o: PredictionFeedOptions): PredictionFeed {
  const client = new SmartEmClient({ baseUrl: o.api });
  const stopped = new AbortController();
  let pending = [...o.predicted.keys()].map(String);
  let stored = 0;
  let lastError: unknown;
  const loop = (async () => {
    let gridUuid: string | undefined;
    while (pending.length > 0 && !stopped.signal.aborted) {
      try {
        gridUuid ??= (await client.http.request<Array<{ uuid: string }>>('GET', 'grids', { signal: stopped.signal }))[0]?.uuid;
        if (gridUuid) {
          const predictions = pending.map((id) => ({
            foilhole_id: id,
            value: sigmoid(predictionScore(o.threshold, o.predicted.get(Number(id))!)),
          }));
          const r = await client.http.request<FoilholePredictionsResult>('POST', `grids/${gridUuid}/predictions`, {
            body: { model: PREDICTION_MODEL, predictions },
            signal: stopped.signal,
          });
          stored += r.stored;
          pending = r.unknown_foilhole_ids;
        }
      } catch (error) {
        // A busy backend (a timeout) is no reason to stop: the same predictions go again next time.
        if (stopped.signal.aborted) break;
        lastError = error;
      }
      await sleep(o.intervalMs ?? 1000, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      if (stored === 0 && lastError) throw new Error(`posting predictions: ${(lastError as Error).message}`);
      return stored;
    },
  };
}
