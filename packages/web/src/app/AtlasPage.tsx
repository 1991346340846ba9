/**
 * `/ui/grids/{grid}`: the atlas — every grid square at its atlas position, coloured by state, observed or predicted
 * quality, SmartEM's recommended order as numbers and a path; details of the square under the pointer; plots.
 */
import { useMemo, useState } from 'react';
import { get, getOptional, paths, type Grid, type GridCollection, type GridSquare, type SuggestedSquares } from './api.ts';
import { CtfHistogram, GoodOverTime } from './Charts.tsx';
import { MapCanvas, type MapItem } from './MapCanvas.tsx';
import { fmt, pct, shareColour, squareViews, STATE_COLOUR, STATES, type SquareView } from './model.ts';
import { href, Link, navigate } from './router.tsx';
import { ScaleLegend } from './Legend.tsx';
import { useData } from './useData.ts';

type Mode = 'state' | 'observed' | 'predicted';
const MODES: Array<{ mode: Mode; label: string }> = [
  { mode: 'state', label: 'State' },
  { mode: 'observed', label: 'Observed quality' },
  { mode: 'predicted', label: 'Predicted quality' },
];
/** How many of SmartEM's next squares are numbered and joined by the path. */
const ORDER_SHOWN = 20;

async function load(gridUuid: string, signal: AbortSignal) {
  const [grid, squares, collection, suggested] = await Promise.all([
    get<Grid>(paths.grid(gridUuid), signal),
    get<GridSquare[]>(paths.gridSquares(gridUuid), signal),
    getOptional<GridCollection>(paths.gridCollection(gridUuid), signal),
    getOptional<SuggestedSquares>(paths.suggestedSquares(gridUuid), signal),
  ]);
  return { grid, squares, collection, suggested };
}

function fillOf(v: SquareView, mode: Mode): string {
  if (mode === 'state') return STATE_COLOUR[v.state];
  return shareColour(mode === 'observed' ? v.observed : v.predicted);
}

export function AtlasPage({ gridUuid }: { gridUuid: string }) {
  const data = useData(`grid:${gridUuid}`, (signal) => load(gridUuid, signal));
  if (data.status === 'loading') return <main><p className="muted">Loading the atlas…</p></main>;
  if (data.status === 'error') return <main><p role="alert" className="error">{data.error}</p></main>;
  return <Atlas {...data.data} />;
}

function Atlas({ grid, squares, collection, suggested }: Awaited<ReturnType<typeof load>>) {
  const [mode, setMode] = useState<Mode>('state');
  const [hovered, setHovered] = useState<string | null>(null);
  const views = useMemo(() => squareViews(squares, collection, suggested), [squares, collection, suggested]);
  const byUuid = useMemo(() => new Map(views.map((v) => [v.square.uuid, v])), [views]);
  const placed = useMemo(() => views.filter((v) => v.square.center_x !== null && v.square.center_y !== null), [views]);
  const items = useMemo<MapItem[]>(
    () =>
      placed.map((v) => ({
        id: v.square.uuid,
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
  const labels = useMemo(() => new Map(next.map((v, k) => [v.square.uuid, String(k + 1)])), [next]);
  const path = useMemo(() => {
    const current = views.find((v) => v.state === 'collecting');
    return [...(current ? [current.square.uuid] : []), ...next.map((v) => v.square.uuid)];
  }, [views, next]);
  const listed = useMemo(
    () => [...views].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.square.gridsquare_id.localeCompare(b.square.gridsquare_id, undefined, { numeric: true })),
    [views],
  );
  const counts = useMemo(() => {
    const c = Object.fromEntries(STATES.map((s) => [s.state, 0])) as Record<SquareView['state'], number>;
    for (const v of views) c[v.state]++;
    return c;
  }, [views]);
  const limit = collection?.ctf_max_resolution ?? 6;
  const shown = hovered ? byUuid.get(hovered) : views.find((v) => v.state === 'collecting') ?? next[0];
  const open = (uuid: string) => navigate(href.square(grid.uuid, uuid));

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
              <ScaleLegend bad="0 %" good="100 %" caption={`SmartEM's expected share of good holes among those left${suggested ? ` (${suggested.authority})` : ' — no ranking yet'}`} />
            )}
            <span className="swatch-label">
              <i className="path-key" />
              {next.length > 0 ? ` SmartEM's next ${next.length} squares in order (numbers), from the one being collected` : ' SmartEM recommends no other square yet'}
            </span>
            <span className="muted">Drag to pan, wheel to zoom, click a square to open it.</span>
          </div>
          <MapCanvas
            items={items}
            shape="rect"
            path={path}
            labels={labels}
            highlighted={hovered}
            onHover={setHovered}
            onPick={open}
            label={`Atlas with ${items.length} grid squares; the list below has the same squares`}
          />
        </section>
        <aside className="side">
          <SquareDetails view={shown ?? null} limit={limit} hovered={Boolean(hovered)} />
          <CtfHistogram ctf={collection?.micrographs.ctf ?? EMPTY} limit={limit} />
          <GoodOverTime t={collection?.micrographs.t ?? EMPTY} ctf={collection?.micrographs.ctf ?? EMPTY} limit={limit} />
        </aside>
      </div>
      <section>
        <h2>
          Grid squares <span className="muted small">in SmartEM's order; Tab/Enter to open, focus highlights on the atlas</span>
        </h2>
        <ol className="square-list">
          {listed.map((v) => (
            <li key={v.square.uuid}>
              <Link
                href={href.square(grid.uuid, v.square.uuid)}
                data-square-id={v.square.gridsquare_id}
                data-state={v.state}
                onFocus={() => setHovered(v.square.uuid)}
                onMouseEnter={() => setHovered(v.square.uuid)}
                aria-label={`grid square ${v.square.gridsquare_id}, ${v.state}, ${v.micrographs} micrographs${v.rank !== null ? `, SmartEM rank ${v.rank}` : ''}`}
              >
                <i className="swatch" style={{ background: STATE_COLOUR[v.state] }} />
                {v.square.gridsquare_id}
                <span className="muted">{v.rank !== null ? ` #${v.rank}` : ''}</span>
              </Link>
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}

const EMPTY: number[] = [];

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
