/** `/ui/`: acquisitions, newest first, with their agents, their grids and what each grid holds. */
import { AgentSessions, useAgentSessions } from './Agents.tsx';
import { get, getOptional, paths, type Acquisition, type Grid, type GridOverview } from './api.ts';
import { AwaitingApproval } from './Recommendations.tsx';
import { href, Link } from './router.tsx';
import { LiveBadge } from './LiveBadge.tsx';
import { useData } from './useData.ts';
import { useLive } from './useLive.ts';

interface GridRow {
  grid: Grid;
  collection: GridOverview | null;
}

async function load(signal: AbortSignal): Promise<Array<{ acquisition: Acquisition; grids: GridRow[] }>> {
  const acquisitions = await get<Acquisition[]>(paths.acquisitions(), signal);
  acquisitions.sort((a, b) => String(b.start_time ?? '').localeCompare(String(a.start_time ?? '')));
  return Promise.all(
    acquisitions.map(async (acquisition) => {
      const grids = await get<Grid[]>(paths.acquisitionGrids(acquisition.uuid), signal);
      const rows = await Promise.all(grids.map(async (grid) => ({ grid, collection: await getOptional<GridOverview>(paths.gridOverview(grid.uuid), signal) })));
      return { acquisition, grids: rows };
    }),
  );
}

function sum(c: GridOverview | null, f: (s: GridOverview['squares'][number]) => number): number {
  return (c?.squares ?? []).reduce((a, s) => a + f(s), 0);
}

export function Home() {
  const live = useLive();
  const data = useData('home', load, live.version);
  // One read of the agent sessions for the whole page: each acquisition's table and approval badge filter it.
  const agents = useAgentSessions(live.instructions);
  return (
    <main>
      <LiveBadge status={live.status} />
      <h1>Acquisitions</h1>
      {data.status === 'loading' && <p className="muted">Loading…</p>}
      {data.status === 'error' && <p role="alert" className="error">{data.error}</p>}
      {data.status === 'ok' && data.data.length === 0 && <p className="muted">No acquisition yet. Start the agent on an EPU session directory.</p>}
      {data.status === 'ok' &&
        data.data.map(({ acquisition, grids }) => (
          <section key={acquisition.uuid} className="card" data-acquisition-id={acquisition.uuid}>
            <h2>
              {acquisition.name || acquisition.id || acquisition.uuid} <span className={`badge ${acquisition.status ?? ''}`}>{acquisition.status ?? 'unknown'}</span>{' '}
              <AwaitingApproval sessions={agents.status === 'ok' ? agents.data.filter((s) => s.acquisition_uuid === acquisition.uuid) : null} />
            </h2>
            <p className="muted">
              started {acquisition.start_time ? new Date(acquisition.start_time).toLocaleString() : '–'}
              {acquisition.instrument_model ? ` · ${acquisition.instrument_model}` : ''}
              {acquisition.computer_name ? ` · ${acquisition.computer_name}` : ''}
            </p>
            {agents.status === 'ok' && <AgentSessions sessions={agents.data.filter((s) => s.acquisition_uuid === acquisition.uuid)} />}
            <table>
              <thead>
                <tr>
                  <th>grid</th>
                  <th>status</th>
                  <th className="num">grid squares</th>
                  <th className="num">with foil holes</th>
                  <th className="num">foil holes</th>
                  <th className="num">micrographs</th>
                  <th className="num">with CTF</th>
                  <th className="num">good</th>
                </tr>
              </thead>
              <tbody>
                {grids.map(({ grid, collection }) => {
                  const withCtf = sum(collection, (s) => s.with_ctf);
                  const good = sum(collection, (s) => s.good);
                  return (
                    <tr key={grid.uuid} data-grid-id={grid.uuid}>
                      <td>
                        <Link href={href.grid(grid.uuid)}>{grid.name || grid.uuid}</Link>
                      </td>
                      <td>{grid.status ?? '–'}</td>
                      <td className="num">{collection?.squares.length ?? '–'}</td>
                      <td className="num">{collection?.squares.filter((s) => s.foilholes > 0).length ?? '–'}</td>
                      <td className="num">{sum(collection, (s) => s.foilholes)}</td>
                      <td className="num">{sum(collection, (s) => s.micrographs)}</td>
                      <td className="num">{withCtf}</td>
                      <td className="num">
                        {good}
                        {withCtf > 0 ? ` (${Math.round((100 * good) / withCtf)} %, CTF ≤ ${collection?.ctf_max_resolution} Å)` : ''}
                      </td>
                    </tr>
                  );
                })}
                {grids.length === 0 && (
                  <tr>
                    <td colSpan={8} className="muted">
                      no grids yet
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </section>
        ))}
    </main>
  );
}
