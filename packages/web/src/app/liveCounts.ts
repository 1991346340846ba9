/**
 * The atlas's square counts kept current from the live stream itself: a `foilhole.created` or `micrograph.created`
 * change names its grid square, so the page counts it at once instead of waiting for its re-read of the grid (which
 * still follows, for everything else: results, the plots, new squares). A re-read that started before the latest
 * counted change may or may not hold it, so each square then keeps the larger of its two counts; a re-read with no
 * counted change since it started replaces the counts as they are (so a deletion shows once the stream is quiet).
 */
import type { GridOverview } from '@smartem/common';

/** What a change from the live stream says (`LiveChange`; here without the page's DOM-typed modules, for the tests). */
interface Change {
  event_type: string;
  gridsquare_uuid: string | null;
  payload: Record<string, unknown>;
}

/** Which count of a square each counted event type adds one to. */
const COUNTED: Record<string, 'foilholes' | 'micrographs'> = {
  'foilhole.created': 'foilholes',
  'micrograph.created': 'micrographs',
};

export class LiveCounts {
  /** What the page shows: the last re-read with the counted changes since. */
  shown: GridOverview | null = null;
  /** Counted changes so far. */
  private counted = 0;
  /** Uuids counted, by when (`counted` at the time): a change seen twice is counted once. */
  private readonly seen = new Map<string, number>();

  /** Call as a re-read starts; pass the result to `reread` with its result. */
  mark(): number {
    return this.counted;
  }

  /** A re-read's result (`mark`: when it started): what to show now. */
  reread(read: GridOverview, mark: number): GridOverview {
    // Counted before the read started: the read holds them (the stream sends a change once it is committed).
    for (const [uuid, at] of this.seen) if (at < mark) this.seen.delete(uuid);
    const before = this.shown;
    if (mark === this.counted || !before) {
      this.shown = read;
      return read;
    }
    const was = new Map(before.squares.map((s) => [s.gridsquare_uuid, s]));
    const squares = read.squares.map((s) => {
      const b = was.get(s.gridsquare_uuid);
      if (!b || (b.foilholes <= s.foilholes && b.micrographs <= s.micrographs)) return s;
      return { ...s, foilholes: Math.max(s.foilholes, b.foilholes), micrographs: Math.max(s.micrographs, b.micrographs) };
    });
    this.shown = { ...read, squares };
    return this.shown;
  }

  /** A change from the stream: the overview to show when it added to a square's count, else null. */
  apply(change: Change): GridOverview | null {
    const field = COUNTED[change.event_type];
    const uuid = change.payload.uuid;
    const shown = this.shown;
    if (!field || typeof uuid !== 'string' || !shown || this.seen.has(uuid)) return null;
    const k = shown.squares.findIndex((s) => s.gridsquare_uuid === change.gridsquare_uuid);
    // A square the page does not have yet: the re-read brings it with its counts.
    if (k < 0) return null;
    this.seen.set(uuid, this.counted++);
    const squares = [...shown.squares];
    squares[k] = { ...squares[k]!, [field]: squares[k]![field] + 1 };
    this.shown = { ...shown, squares };
    return this.shown;
  }
}
