/**
 * `/ui/grids/{grid}/squares/{square}`: every foil hole at its position on the square image, coloured by an observed
 * metric or SmartEM's predicted quality, the suggested hole order as a path, and the micrographs of a selected hole.
 */
import { createContext, memo, useCallback, useContext, useDeferredValue, useMemo, useState } from 'react';
import { get, getOptional, paths, type FoilHole, type GridSquare, type Micrograph, type SquareCollection, type SuggestedHoles } from './api.ts';
import { ScaleLegend } from './Legend.tsx';
import { MapCanvas, type MapItem } from './MapCanvas.tsx';
import { AreaActions, RecommendationsPanel } from './Recommendations.tsx';
import { useSquareImage } from './previews.ts';
import { compareIds, fmt, higherIsBetterColour, lowerIsBetterColour, pct, shareColour } from './model.ts';
import { href, Link } from './router.tsx';
import { LiveBadge } from './LiveBadge.tsx';
import { REREAD_REST_MS, useData } from './useData.ts';
import { InstructionsVersion, useLive } from './useLive.ts';

/** The square's live version, so the micrographs of the selected hole reload with the rest. */
const LiveVersion = createContext(0);

type Mode = 'ctf' | 'motion' | 'particles' | 'predicted';
const ORDER_SHOWN = 30;

/** What the square is drawn from; SmartEM's ranking is loaded beside it and fills in when it arrives. */
async function load(squareUuid: string, signal: AbortSignal) {
  const [square, holes, collection] = await Promise.all([
    get<GridSquare>(paths.gridSquare(squareUuid), signal),
    get<FoilHole[]>(paths.foilHoles(squareUuid), signal),
    get<SquareCollection>(paths.squareCollection(squareUuid), signal),
  ]);
  return { square, holes, collection };
}

export function SquarePage({ gridUuid, squareUuid }: { gridUuid: string; squareUuid: string }) {
  const live = useLive(gridUuid, (c) => c.gridsquare_uuid === null || c.gridsquare_uuid === squareUuid);
  // Re-read on the square's changes, with a rest between re-reads while they keep coming.
  const data = useData(`square:${squareUuid}`, (signal) => load(squareUuid, signal), live.version, REREAD_REST_MS);
  const ranking = useData(
    `ranking:${squareUuid}`,
    (signal) => getOptional<SuggestedHoles>(paths.suggestedHoles(squareUuid), signal),
    live.version,
    REREAD_REST_MS,
  );
  return (
    <LiveVersion.Provider value={live.version}>
      <InstructionsVersion.Provider value={live.instructions}>
        <LiveBadge status={live.status} />
        {data.status === 'loading' ? (
          <main><p className="muted">Loading the grid square…</p></main>
        ) : data.status === 'error' ? (
          <main><p role="alert" className="error">{data.error}</p></main>
        ) : (
          <Square gridUuid={gridUuid} {...data.data} suggested={ranking.status === 'ok' ? ranking.data : null} />
        )}
      </InstructionsVersion.Provider>
    </LiveVersion.Provider>
  );
}

interface HoleView {
  hole: FoilHole;
  x: number | null;
  y: number | null;
  micrographs: number;
  ctf: number | null;
  motion: number | null;
  particles: number | null;
  probability: number | null;
  rank: number | null;
  decision: 'collect' | 'skip' | null;
}

function range(values: Array<number | null>): [number, number] {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return [0, 1];
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? [lo, lo + 1] : [lo, hi];
}

function Square({ gridUuid, square, holes, collection, suggested }: { gridUuid: string; suggested: SuggestedHoles | null } & Awaited<ReturnType<typeof load>>) {
  const [mode, setMode] = useState<Mode>('ctf');
  const [hovered, setHovered] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const limit = collection.ctf_max_resolution;
  const views = useMemo<HoleView[]>(() => {
    const results = new Map(collection.holes.map((h) => [h.foilhole_uuid, h]));
    const ranked = new Map((suggested?.holes ?? []).map((h) => [h.foilhole_uuid, h]));
    return holes.map((hole) => {
      const r = results.get(hole.uuid);
      const s = ranked.get(hole.uuid);
      return {
        hole,
        x: hole.x_location ?? hole.center_x,
        y: hole.y_location ?? hole.center_y,
        micrographs: r?.micrographs ?? 0,
        ctf: r?.mean_ctf ?? null,
        motion: r?.mean_total_motion ?? null,
        particles: r?.particles_picked ?? null,
        probability: s?.probability_good ?? null,
        rank: s?.rank ?? null,
        decision: s?.decision ?? null,
      };
    });
  }, [holes, collection, suggested]);
  const byUuid = useMemo(() => new Map(views.map((v) => [v.hole.uuid, v])), [views]);
  const motionRange = useMemo(() => range(views.map((v) => v.motion)), [views]);
  const particleRange = useMemo(() => range(views.map((v) => v.particles)), [views]);
  const fill = useCallback(
    (v: HoleView): string => {
      if (mode === 'ctf') return lowerIsBetterColour(v.ctf, limit / 2, limit * 1.5);
      if (mode === 'motion') return lowerIsBetterColour(v.motion, motionRange[0], motionRange[1]);
      if (mode === 'particles') return higherIsBetterColour(v.particles, particleRange[0], particleRange[1]);
      return shareColour(v.probability);
    },
    [mode, limit, motionRange, particleRange],
  );
  const placed = views.filter((v) => v.x !== null && v.y !== null);
  const typicalDiameter = placed.find((v) => v.hole.diameter)?.hole.diameter ?? 20;
  const items = useMemo<MapItem[]>(
    () => placed.map((v) => ({ id: v.hole.uuid, x: v.x!, y: v.y!, w: v.hole.diameter ?? typicalDiameter, h: v.hole.diameter ?? typicalDiameter, fill: fill(v) })),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `placed` is derived from `views`
    [views, fill, typicalDiameter],
  );
  const order = useMemo(
    () => views.filter((v) => v.decision === 'collect' && v.micrographs === 0 && v.rank !== null).sort((a, b) => a.rank! - b.rank!).slice(0, ORDER_SHOWN),
    [views],
  );
  const labels = useMemo(() => new Map(order.map((v, k) => [v.hole.uuid, String(k + 1)])), [order]);
  const path = useMemo(() => order.map((v) => v.hole.uuid), [order]);
  const listed = useMemo(() => [...views].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || compareIds(a.hole.foilhole_id, b.hole.foilhole_id)), [views]);
  // The list of up to ~1,000 buttons renders after the square is drawn, in the background.
  const listedSoon = useDeferredValue(listed, EMPTY_HOLES);
  const withMicrographs = views.filter((v) => v.micrographs > 0).length;
  const shown = byUuid.get(hovered ?? selected ?? '') ?? listed[0] ?? null;
  const picture = useSquareImage(square.uuid);

  const legend =
    mode === 'ctf' ? (
      <ScaleLegend bad={`${fmt(limit * 1.5, 1)} Å`} good={`${fmt(limit / 2, 1)} Å`} caption={`mean CTF max resolution of the hole's micrographs; good ≤ ${limit} Å`} />
    ) : mode === 'motion' ? (
      <ScaleLegend bad={`${fmt(motionRange[1], 1)} Å`} good={`${fmt(motionRange[0], 1)} Å`} caption="mean total motion per micrograph, over this square's range" />
    ) : mode === 'particles' ? (
      <ScaleLegend bad={fmt(particleRange[0], 0)} good={fmt(particleRange[1], 0)} caption="particles picked per hole, over this square's range" />
    ) : (
      <ScaleLegend bad="0 %" good="100 %" caption={`SmartEM's probability that the hole is good${suggested ? ` (${suggested.authority})` : ' — no ranking yet'}`} />
    );

  return (
    <main>
      <nav className="crumbs">
        <Link href={href.home()}>Acquisitions</Link> › <Link href={href.grid(gridUuid)}>atlas</Link> › grid square {square.gridsquare_id}
      </nav>
      <h1>
        Grid square {square.gridsquare_id}{' '}
        <span className="muted small">
          {views.length} foil holes · {withMicrographs} with micrographs · {fmt(square.pixel_size ? square.pixel_size * 1e10 : null, 2, 'Å/px')}
        </span>
      </h1>
      <AreaActions target={{ kind: 'gridsquare', uuid: square.uuid, id: square.gridsquare_id }} />
      <div className="layout">
        <section className="map-panel">
          <div className="toolbar" role="radiogroup" aria-label="Colour holes by">
            <span className="muted">Colour by</span>
            {(
              [
                ['ctf', 'CTF resolution'],
                ['motion', 'Motion'],
                ['particles', 'Particles'],
                ['predicted', 'Predicted quality'],
              ] as Array<[Mode, string]>
            ).map(([m, label]) => (
              <label key={m} className={mode === m ? 'on' : ''}>
                <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} /> {label}
              </label>
            ))}
          </div>
          <div className="legend">
            {legend}
            <span className="swatch-label">
              <i className="path-key" />
              {order.length > 0 ? ` SmartEM's next ${order.length} holes in order (numbers)` : ' SmartEM recommends no further hole here'}
            </span>
            <span className="muted">Drag to pan, wheel to zoom, click a hole for its micrographs.</span>
          </div>
          <MapCanvas
            items={items}
            images={picture}
            shape="circle"
            path={path}
            labels={labels}
            selected={selected}
            highlighted={hovered}
            onHover={setHovered}
            onPick={setSelected}
            label={`Grid square ${square.gridsquare_id}${picture.length ? ' image' : ''} with ${items.length} foil holes; the list below has the same holes`}
          />
        </section>
        <aside className="side">
          <HoleDetails view={shown} limit={limit} />
          {selected && byUuid.has(selected) && <AreaActions key={selected} target={{ kind: 'foilhole', uuid: selected, id: byUuid.get(selected)!.hole.foilhole_id }} />}
          {selected && <Micrographs holeUuid={selected} limit={limit} />}
          <RecommendationsPanel gridUuid={gridUuid} />
        </aside>
      </div>
      <section>
        <h2>
          Foil holes <span className="muted small">in SmartEM's order; Tab/Enter selects</span>
        </h2>
        <HoleList views={listedSoon} fill={fill} selected={selected} onSelect={setSelected} onHover={setHovered} />
      </section>
    </main>
  );
}

const EMPTY_HOLES: HoleView[] = [];

/** Every foil hole as a button (keyboard and screen-reader access, and what tests count); memoised, so hovering the
 * map does not re-render every entry. */
const HoleList = memo(function HoleList(props: { views: HoleView[]; fill: (v: HoleView) => string; selected: string | null; onSelect: (uuid: string) => void; onHover: (uuid: string) => void }) {
  const { views, fill, selected, onSelect, onHover } = props;
  return (
    <ul className="square-list">
      {views.map((v) => (
        <li key={v.hole.uuid}>
          <button
            type="button"
            data-foilhole-id={v.hole.foilhole_id}
            aria-pressed={selected === v.hole.uuid}
            onClick={() => onSelect(v.hole.uuid)}
            onFocus={() => onHover(v.hole.uuid)}
            onMouseEnter={() => onHover(v.hole.uuid)}
            aria-label={`foil hole ${v.hole.foilhole_id}, ${v.micrographs} micrographs${v.rank !== null ? `, SmartEM rank ${v.rank}` : ''}`}
          >
            <i className="swatch" style={{ background: fill(v) }} />
            {v.hole.foilhole_id}
            <span className="muted">{v.rank !== null ? ` #${v.rank}` : ''}</span>
          </button>
        </li>
      ))}
    </ul>
  );
});

function HoleDetails({ view, limit }: { view: HoleView | null; limit: number }) {
  if (!view) return <div className="card details">Point at a hole for its details; click it for its micrographs.</div>;
  return (
    <div className="card details" aria-live="polite">
      <h3>Foil hole {view.hole.foilhole_id}</h3>
      <dl>
        <dt>micrographs</dt>
        <dd>{view.micrographs}</dd>
        <dt>mean CTF max res.</dt>
        <dd>
          {fmt(view.ctf, 2, 'Å')} {view.ctf !== null ? (view.ctf <= limit ? '(good)' : `(worse than ${limit} Å)`) : ''}
        </dd>
        <dt>mean total motion</dt>
        <dd>{fmt(view.motion, 2, 'Å')}</dd>
        <dt>particles picked</dt>
        <dd>{fmt(view.particles, 0)}</dd>
        <dt>SmartEM</dt>
        <dd>{view.decision ? `${view.decision}, rank ${view.rank}, P(good) ${pct(view.probability)}` : 'no ranking'}</dd>
        <dt>near grid bar</dt>
        <dd>{view.hole.is_near_grid_bar ? 'yes' : 'no'}</dd>
      </dl>
    </div>
  );
}

function Micrographs({ holeUuid, limit }: { holeUuid: string; limit: number }) {
  const data = useData(
    `micrographs:${holeUuid}`,
    (signal) => get<Micrograph[]>(paths.micrographs(holeUuid), signal),
    useContext(LiveVersion),
    REREAD_REST_MS,
  );
  return (
    <div className="card">
      <h3>Micrographs of the selected hole</h3>
      {data.status === 'loading' && <p className="muted">Loading…</p>}
      {data.status === 'error' && <p role="alert" className="error">{data.error}</p>}
      {data.status === 'ok' && data.data.length === 0 && <p className="muted">None yet.</p>}
      {data.status === 'ok' && data.data.length > 0 && (
        <table className="micrographs">
          <thead>
            <tr>
              <th>image</th>
              <th>micrograph</th>
              <th>acquired</th>
              <th className="num">CTF (Å)</th>
              <th className="num">motion (Å)</th>
              <th className="num">particles</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((m) => (
              <tr key={m.uuid} data-micrograph-id={m.micrograph_id}>
                <td>
                  <Thumbnail uuid={m.uuid} />
                </td>
                <td>{m.micrograph_id}</td>
                <td>{m.acquisition_datetime ? new Date(m.acquisition_datetime).toLocaleTimeString() : '–'}</td>
                <td className={`num ${m.ctf_max_resolution_estimate !== null && m.ctf_max_resolution_estimate <= limit ? 'good' : ''}`}>{fmt(m.ctf_max_resolution_estimate, 2)}</td>
                <td className="num">{fmt(m.total_motion, 2)}</td>
                <td className="num">{fmt(m.number_of_particles_picked, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** A micrograph's preview as the agent uploaded it (EPU's JPEG); hidden when there is none. */
function Thumbnail({ uuid }: { uuid: string }) {
  const [missing, setMissing] = useState(false);
  if (missing) return <span className="muted">–</span>;
  return <img className="thumb" src={paths.image('micrograph', uuid)} alt="micrograph preview" loading="lazy" width={64} height={46} onError={() => setMissing(true)} />;
}
