/**
 * `/ui/grids/{grid}`: the atlas — every grid square at its atlas position, coloured by state, observed or predicted
 * quality, SmartEM's recommended order as numbers and a path; details of the square under the pointer; plots
 * (CTF histogram, good over time, each square's estimated share of good holes with its range).
 */
import { memo, useDeferredValue, useMemo, useReducer, useState, type CSSProperties, type MouseEvent, type SyntheticEvent } from 'react';
import { get, getRanking, paths, type GridOverview, type Ranking } from './api.ts';
import { CtfHistogram, GoodOverTime, SquareEstimates } from './Charts.tsx';
import { MapCanvas, type MapItem } from './MapCanvas.tsx';
import { compareIds, fmt, pct, shareColour, squareViews, STATE_COLOUR, STATES, type SquareView } from './model.ts';
import { href, Link, navigate } from './router.tsx';
import { ScaleLegend } from './Legend.tsx';
import { RecommendationsPanel } from './Recommendations.tsx';
import { LiveBadge } from './LiveBadge.tsx';
import { useAtlasTiles } from './previews.ts';
import { REREAD_REST_MS, useData } from './useData.ts';
import { InstructionsVersion, useLive } from './useLive.ts';
import { LiveCounts } from './liveCounts.ts';

type Mode = 'state' | 'observed' | 'predicted';
const MODES: Array<{ mode: Mode; label: string }> = [
  { mode: 'state', label: 'State' },
  { mode: 'observed', label: 'Observed quality' },
  { mode: 'predicted', label: 'Predicted quality' },
];
/** How many of SmartEM's next squares are numbered and joined by the path. */
const ORDER_SHOWN = 20;

function fillOf(v: SquareView, mode: Mode): string {
  if (mode === 'state') return STATE_COLOUR[v.state];
  return shareColour(mode === 'observed' ? v.observed : v.predicted);
}

export function AtlasPage({ gridUuid }: { gridUuid: string }) {
  // A new foil hole or micrograph is counted as its change arrives; the re-read it also asks for brings the rest.
  const counts = useMemo(() => new LiveCounts(), [gridUuid]);
  const [, counted] = useReducer((n: number) => n + 1, 0);
  const live = useLive(gridUuid, undefined, (change) => counts.apply(change) && counted());
  // What the atlas is drawn from, in one read; SmartEM's ranking is loaded beside it and re-colours the atlas when it
  // arrives. While changes keep coming, both are re-read with a rest between (counts are applied from the changes meanwhile).
  const data = useData(
    `grid:${gridUuid}`,
    (signal) => {
      const mark = counts.mark();
      return get<GridOverview>(paths.gridOverview(gridUuid), signal).then((read) => counts.reread(read, mark));
    },
    live.version,
    REREAD_REST_MS,
  );
  const ranking = useData(
    `ranking:${gridUuid}`,
    (signal) => getRanking(gridUuid, signal),
    live.version,
    REREAD_REST_MS,
  );
  return (
    <InstructionsVersion.Provider value={live.instructions}>
      <LiveBadge status={live.status} />
      {data.status === 'loading' ? (
        <main><p className="muted">Loading the atlas…</p></main>
      ) : data.status === 'error' ? (
        <main><p role="alert" className="error">{data.error}</p></main>
      ) : (
        <Atlas overview={counts.shown ?? data.data} suggested={ranking.status === 'ok' ? ranking.data : null} ranking={ranking.status} />
      )}
    </InstructionsVersion.Provider>
  );
}

function Atlas({ overview, suggested: arrived, ranking }: { overview: GridOverview; suggested: Ranking | null; ranking: string }) {
  // A ranking that arrives while the atlas is first drawn (it is kept by the backend, so often quick) re-colours it
  // in the background after that draw, not before it.
  const suggested = useDeferredValue(arrived);
  const { squares, name } = overview;
  const grid = { uuid: overview.grid_uuid, name };
  const [mode, setMode] = useState<Mode>('state');
  const [hovered, setHovered] = useState<string | null>(null);
  const views = useMemo(() => squareViews(squares, suggested), [squares, suggested]);
  const byUuid = useMemo(() => new Map(views.map((v) => [v.square.gridsquare_uuid, v])), [views]);
  const placed = useMemo(() => views.filter((v) => v.square.center_x !== null && v.square.center_y !== null), [views]);
  const items = useMemo<MapItem[]>(
    () =>
      placed.map((v) => ({
        id: v.square.gridsquare_uuid,
        x: v.square.center_x!,
        y: v.square.center_y!,
        w: v.square.size_width ?? 20,
        h: v.square.size_height ?? 20,
        fill: fillOf(v, mode),
      })),
    [placed, mode],
  );
  const next = useMemo(
    () => views.filter((v) => v.decision === 'collect' && v.state !== 'collecting' && v.rank !== null).sort((a, b) => a.rank! - b.rank!).slice(0, ORDER_SHOWN),
    [views],
  );
  const labels = useMemo(() => new Map(next.map((v, k) => [v.square.gridsquare_uuid, String(k + 1)])), [next]);
  const collecting = useMemo(() => views.find((v) => v.state === 'collecting'), [views]);
  const path = useMemo(() => [...(collecting ? [collecting.square.gridsquare_uuid] : []), ...next.map((v) => v.square.gridsquare_uuid)], [collecting, next]);
  const listed = useMemo(
    () => [...views].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || compareIds(a.square.gridsquare_id, b.square.gridsquare_id)),
    [views],
  );
  // The list of 5,000 links renders after the atlas is drawn, in the background (a deferred, interruptible render).
  const listedSoon = useDeferredValue(listed, EMPTY_VIEWS);
  const counts = useMemo(() => {
    const c = Object.fromEntries(STATES.map((s) => [s.state, 0])) as Record<SquareView['state'], number>;
    for (const v of views) c[v.state]++;
    return c;
  }, [views]);
  const limit = overview.ctf_max_resolution;
  const shown = hovered ? byUuid.get(hovered) : collecting ?? next[0];
  const open = (uuid: string) => navigate(href.square(grid.uuid, uuid));
  const tiles = useAtlasTiles(grid.uuid);

  return (
    <main>
      <nav className="crumbs">
        <Link href={href.home()}>Acquisitions</Link> › grid {grid.name || grid.uuid}
      </nav>
      <h1>
        Atlas of {grid.name || grid.uuid} <span className="muted small">{views.length} grid squares · {placed.length} placed on the atlas</span>
      </h1>
      <div className="layout">
        <section className="map-panel">
          <div className="toolbar" role="radiogroup" aria-label="Colour squares by">
            <span className="muted">Colour by</span>
            {MODES.map((m) => (
              <label key={m.mode} className={mode === m.mode ? 'on' : ''}>
                <input type="radio" name="mode" value={m.mode} checked={mode === m.mode} onChange={() => setMode(m.mode)} /> {m.label}
              </label>
            ))}
          </div>
          <div className="legend" aria-label="Legend">
            {mode === 'state' ? (
              STATES.map((s) => (
                <span key={s.state} title={s.help} className="swatch-label">
                  <i className="swatch" style={{ background: s.colour }} /> {s.label} ({counts[s.state]})
                </span>
              ))
            ) : mode === 'observed' ? (
              <ScaleLegend bad="0 %" good="100 %" caption={`share of a square's micrographs with CTF max resolution ≤ ${limit} Å`} />
            ) : (
              <ScaleLegend bad="0 %" good="100 %" caption={`SmartEM's expected share of good holes among those left${suggested ? ` (${suggested.authority})` : ranking === 'loading' ? ' — loading the ranking…' : ' — no ranking yet'}`} />
            )}
            <span className="swatch-label">
              <i className="path-key" />
              {next.length > 0 ? ` SmartEM's next ${next.length} squares in order (numbers), from the one being collected` : ' SmartEM recommends no other square yet'}
            </span>
            <span className="swatch-label">
              <i className="outline-key" /> being collected
            </span>
            <span className="muted">Drag to pan, wheel to zoom, click a square to open it.</span>
          </div>
          <MapCanvas
            items={items}
            images={tiles}
            shape="rect"
            path={path}
            labels={labels}
            highlighted={hovered}
            selected={collecting?.square.gridsquare_uuid ?? null}
            onHover={setHovered}
            onPick={open}
            label={`Atlas${tiles.length ? ` image (${tiles.length} tiles)` : ''} with ${items.length} grid squares; the list below has the same squares`}
          />
        </section>
        <aside className="side">
          <RecommendationsPanel gridUuid={grid.uuid} />
          <SquareDetails view={shown ?? null} limit={limit} hovered={Boolean(hovered)} />
          <CtfHistogram histogram={overview.ctf_histogram} limit={limit} />
          <GoodOverTime overTime={overview.over_time} epuDefault={overview.epu_default_order} limit={limit} />
          <SquareEstimates suggested={suggested} />
        </aside>
      </div>
      <section>
        <h2>
          Grid squares <span className="muted small">in SmartEM's order; Tab/Enter to open, focus highlights on the atlas</span>
        </h2>
        <SquareList views={listedSoon} gridUuid={grid.uuid} onHover={setHovered} />
      </section>
    </main>
  );
}

const EMPTY_VIEWS: SquareView[] = [];

/** The state colours as custom properties of the list (its entries' swatches are drawn from them by the stylesheet). */
const LIST_COLOURS = Object.fromEntries(STATES.map((s) => [`--state-${s.state}`, s.colour])) as CSSProperties;

/**
 * Every grid square as a link (keyboard and screen-reader access, and what tests count); memoised, so hovering
 * the atlas does not re-render thousands of entries. Each entry is one link and its text (the swatch and the rank are
 * drawn by the stylesheet from its attributes), its events handled once for the list, and the list is laid out
 * only once scrolled into view (`content-visibility`): on a 5,000-square atlas, half the elements and no
 * layout while it is out of sight.
 */
const SquareList = memo(function SquareList({ views, gridUuid, onHover }: { views: SquareView[]; gridUuid: string; onHover: (uuid: string) => void }) {
  const entry = (e: SyntheticEvent) => (e.target as Element).closest?.('a[data-square-uuid]')?.getAttribute('data-square-uuid') ?? null;
  const hover = (e: SyntheticEvent) => {
    const uuid = entry(e);
    if (uuid) onHover(uuid);
  };
  const open = (e: MouseEvent) => {
    const uuid = entry(e);
    if (!uuid || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href.square(gridUuid, uuid));
  };
  return (
    <ul className="square-list atlas-list" style={LIST_COLOURS} onFocus={hover} onMouseOver={hover} onClick={open}>
      {views.map((v) => (
        <li key={v.square.gridsquare_uuid}>
          <a
            href={href.square(gridUuid, v.square.gridsquare_uuid)}
            data-square-id={v.square.gridsquare_id}
            data-square-uuid={v.square.gridsquare_uuid}
            data-state={v.state}
            data-rank={v.rank !== null ? `#${v.rank}` : undefined}
            aria-label={`grid square ${v.square.gridsquare_id}, ${v.state}, ${v.micrographs} micrographs${v.rank !== null ? `, SmartEM rank ${v.rank}` : ''}`}
          >
            {v.square.gridsquare_id}
          </a>
        </li>
      ))}
    </ul>
  );
});

function SquareDetails({ view, limit, hovered }: { view: SquareView | null; limit: number; hovered: boolean }) {
  if (!view) return <div className="card details">Point at a square for its details.</div>;
  const s = view.square;
  return (
    <div className="card details" aria-live="polite">
      <h3>
        Grid square {s.gridsquare_id} <span className="muted small">{hovered ? '' : view.state === 'collecting' ? '(being collected)' : "(SmartEM's next)"}</span>
      </h3>
      <dl>
        <dt>state</dt>
        <dd>
          <i className="swatch" style={{ background: STATE_COLOUR[view.state] }} /> {STATES.find((x) => x.state === view.state)?.label}
        </dd>
        <dt>foil holes</dt>
        <dd>{view.foilholes}</dd>
        <dt>micrographs</dt>
        <dd>
          {view.micrographs} ({view.withCtf} with CTF, {view.good} good ≤ {limit} Å)
        </dd>
        <dt>observed good</dt>
        <dd>{pct(view.observed)}</dd>
        <dt>mean CTF max res.</dt>
        <dd>{fmt(view.meanCtf, 2, 'Å')}</dd>
        <dt>SmartEM</dt>
        <dd>
          {view.decision ? `${view.decision}, rank ${view.rank}` : 'no ranking'}
          {view.expectedGood !== null ? ` · expects ${view.expectedGood.toFixed(1)} good of ${view.remainingHoles} holes left (${pct(view.predicted)})` : ''}
        </dd>
      </dl>
    </div>
  );
}
