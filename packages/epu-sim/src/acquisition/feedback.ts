// Processing feedback: for each micrograph the simulated microscope writes, the results a processing pipeline would
// send some minutes later — motion correction, CTF, particle picking — posted to the backend through the same routes
// real pipelines use (`POST /micrographs/{uuid}/motion_correction | ctf | particle_picking`). The micrograph's uuid
// is the one the agent gave it, looked up by its natural id (the manifest's unique id): `GET /micrographs?micrograph_id=`.
// The CTF is the truth's (good hole ⇔ CTF ≤ the benchmark's threshold); motion and particles follow it.
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmartEmClient } from '@smartem/client';

export interface FeedbackOptions {
  /** Backend root URL. */
  api: string;
  /** Simulated delay from a micrograph's manifest to its results (default 5 simulated minutes). */
  delayMs?: number;
  /** Simulated seconds per real second (the play's `--speed`); with `fast`, no delay. */
  speed?: number;
  fast?: boolean;
  /** The true CTF max resolution (Å) of a foil hole; holes without one get no results. */
  ctfOf: (holeId: number) => number | undefined;
  /** How long to wait (real ms) for the agent to register a micrograph before giving up on it (default 120 s). */
  resolveTimeoutMs?: number;
  /** Called once per micrograph: sent (`ctfStoredAt`: ms since epoch when the backend had stored its CTF), or failed with the reason. */
  onResult?: (r: { uniqueId: string; ok: boolean; ctfStoredAt?: number; error?: string }) => void;
  client?: SmartEmClient;
}

export interface FeedbackSummary {
  sent: number;
  failed: number;
  /** Micrographs whose results are still waiting for their delay or their uuid. */
  pending: number;
}

export const DEFAULT_FEEDBACK_DELAY_MS = 5 * 60_000;
/** Polls for a micrograph the agent has not registered yet: first after this, then twice as long each time, up to the cap. */
const RESOLVE_POLL_MS = 250;
const RESOLVE_POLL_MAX_MS = 2000;

/** Motion (Å) and particles that go with a CTF: worse ice, more drift and fewer particles. Deterministic. */
export function processingResults(ctf: number): { totalMotion: number; averageMotion: number; particles: number } {
  const badness = Math.min(1, Math.max(0, (ctf - 3) / 6));
  const totalMotion = 8 + 24 * badness;
  return { totalMotion, averageMotion: totalMotion / 40, particles: Math.round(60 + 340 * (1 - badness)) };
}

export class ProcessingFeedback {
  private readonly client: SmartEmClient;
  private readonly opts: FeedbackOptions;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopped = new AbortController();
  /** The lookup of the micrograph before, settled or not (see `resolveInTurn`). */
  private previousResolve: Promise<unknown> = Promise.resolve();
  readonly summary: FeedbackSummary = { sent: 0, failed: 0, pending: 0 };

  constructor(opts: FeedbackOptions) {
    this.opts = opts;
    this.client = opts.client ?? new SmartEmClient({ baseUrl: opts.api });
    // Every result waiting for its delay listens to this signal.
    setMaxListeners(0, this.stopped.signal);
    const delay = opts.delayMs ?? DEFAULT_FEEDBACK_DELAY_MS;
    if (!(delay >= 0)) throw new Error(`--feedback-delay must be ≥ 0 simulated seconds, got ${delay / 1000}`);
  }

  /** A micrograph manifest was written: its results follow after the delay. */
  micrograph(m: { holeId: number; uniqueId: string }): void {
    const ctf = this.opts.ctfOf(m.holeId);
    if (ctf === undefined) return;
    this.summary.pending++;
    const task = this.send(m.uniqueId, ctf).finally(() => {
      this.summary.pending--;
      this.inFlight.delete(task);
    });
    this.inFlight.add(task);
  }

  /** Waits for every result still due (their delays included). */
  async drain(): Promise<FeedbackSummary> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    return this.summary;
  }

  /** Drops what is still waiting. */
  async stop(): Promise<FeedbackSummary> {
    this.stopped.abort();
    return this.drain();
  }

  private async send(uniqueId: string, ctf: number): Promise<void> {
    const signal = this.stopped.signal;
    try {
      const delay = this.opts.fast ? 0 : (this.opts.delayMs ?? DEFAULT_FEEDBACK_DELAY_MS) / (this.opts.speed ?? 1);
      await sleep(delay, undefined, { signal });
      const uuid = await this.resolveInTurn(uniqueId, signal);
      const r = processingResults(ctf);
      const post = (route: string, body: Record<string, unknown>): Promise<unknown> =>
        this.client.http.request('POST', `micrographs/${encodeURIComponent(uuid)}/${route}`, { body, signal });
      await post('motion_correction', { total_motion: r.totalMotion, average_motion: r.averageMotion });
      await post('ctf', { ctf_max_resolution_estimate: ctf });
      const ctfStoredAt = Date.now();
      await post('particle_picking', { number_of_particles_picked: r.particles });
      this.summary.sent++;
      this.opts.onResult?.({ uniqueId, ok: true, ctfStoredAt });
    } catch (error) {
      if (signal.aborted) return;
      this.summary.failed++;
      this.opts.onResult?.({ uniqueId, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * The agent registers micrographs in about the order they are written, so while the one before is not found yet,
   * asking for this one is most likely a request wasted (and one the backend serves beside the agent's): wait for it
   * first, but no longer than the longest poll interval, so a micrograph never registered holds up no other.
   */
  private resolveInTurn(uniqueId: string, signal: AbortSignal): Promise<string> {
    const before = this.previousResolve;
    const turn = Promise.race([before, sleep(RESOLVE_POLL_MAX_MS, undefined, { signal, ref: false })])
      .catch(() => undefined)
      .then(() => this.resolve(uniqueId, signal));
    this.previousResolve = turn.catch(() => undefined);
    return turn;
  }

  /**
   * The agent registers a micrograph some time after its manifest appears: poll for it by natural id, less often the
   * longer it takes (hundreds of micrographs may be waiting while the agent catches up; each poll is a request the
   * backend serves beside the agent's).
   */
  private async resolve(uniqueId: string, signal: AbortSignal): Promise<string> {
    const deadline = Date.now() + (this.opts.resolveTimeoutMs ?? 120_000);
    for (let wait = RESOLVE_POLL_MS; ; wait = Math.min(wait * 2, RESOLVE_POLL_MAX_MS)) {
      const rows = await this.client.http.request<Array<{ uuid: string }>>(
        'GET',
        `micrographs?micrograph_id=${encodeURIComponent(uniqueId)}`,
        { signal },
      );
      if (rows.length > 0) return rows[0].uuid;
      if (Date.now() > deadline)
        throw new Error(`micrograph ${uniqueId} not registered by the agent within ${(this.opts.resolveTimeoutMs ?? 120_000) / 1000} s`);
      await sleep(wait, undefined, { signal });
    }
  }
}
