/**
 * `/ui/`: the agent sessions of each acquisition — connected or not, last heartbeat, instructions not yet finished, and
 * the agent's own intake backlog as of its last heartbeat; ended sessions collapsed under the current ones.
 * Sessions change without events (a heartbeat is not one), so the list is read again every `AGENTS_REFRESH_MS` as
 * well as on the page's live instruction count.
 */
import { useEffect, useState } from 'react';
import type { AgentSession } from '@smartem/common';
import { get, paths } from './api.ts';
import { useData, type Loaded } from './useData.ts';

const AGENTS_REFRESH_MS = 15_000;

/** Every agent session, read again on each change of `instructions` and every `AGENTS_REFRESH_MS`. */
export function useAgentSessions(instructions: number): Loaded<AgentSession[]> {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), AGENTS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  // Both counters only grow, so their sum changes whenever either does.
  return useData('agent-sessions', (signal) => get<AgentSession[]>(paths.agents(), signal), instructions + tick);
}

function ago(iso: string | null): string {
  if (!iso) return 'never';
  return `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} s ago`;
}

function intake(s: AgentSession): string {
  if (s.intake_pending === null || s.intake_orphans === null || s.intake_failed === null) return '–';
  return `backlog ${s.intake_pending} · orphans ${s.intake_orphans} · failed ${s.intake_failed}`;
}

/**
 * A session is current while it is connected, or while it is its agent's newest session and not closed (an agent
 * that lost its connection stays in view: that is worth seeing). The others have ended: closed, or left behind when
 * the agent started a new session (a restart, another run).
 */
export function splitSessions(sessions: readonly AgentSession[]): { current: AgentSession[]; ended: AgentSession[] } {
  const newest = new Map<string, AgentSession>();
  for (const s of sessions) {
    if (s.status === 'closed') continue;
    const seen = newest.get(s.agent_id);
    if (!seen || Date.parse(s.created_at) > Date.parse(seen.created_at)) newest.set(s.agent_id, s);
  }
  const current: AgentSession[] = [];
  const ended: AgentSession[] = [];
  for (const s of sessions) (s.connected || newest.get(s.agent_id) === s ? current : ended).push(s);
  return { current, ended };
}

/**
 * The current sessions of one acquisition, and its ended ones collapsed under them; or a line saying none has
 * registered.
 */
export function AgentSessions({ sessions }: { sessions: AgentSession[] }) {
  if (sessions.length === 0) return <p className="muted">no agent has registered for this acquisition</p>;
  const { current, ended } = splitSessions(sessions);
  return (
    <>
      {current.length > 0 ? <SessionTable sessions={current} /> : <p className="muted">no agent session is current</p>}
      {ended.length > 0 && (
        <details className="ended-sessions" data-testid="ended-sessions">
          <summary className="muted">
            {ended.length} ended agent session{ended.length === 1 ? '' : 's'} (closed, or followed by a newer session of the same agent)
          </summary>
          <SessionTable sessions={ended} ended />
        </details>
      )}
    </>
  );
}

function SessionTable({ sessions, ended = false }: { sessions: AgentSession[]; ended?: boolean }) {
  return (
    <table className={`agents${ended ? ' ended' : ''}`}>
      <thead>
        <tr>
          <th>agent</th>
          <th>mode</th>
          <th>connection</th>
          <th>last heartbeat</th>
          <th className="num">instructions unfinished</th>
          <th className="num">awaiting approval</th>
          <th title="files and entities not yet sent, entities waiting for a parent, failed">agent intake</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr
            key={`${s.agent_id}/${s.session_id}`}
            data-agent-id={s.agent_id}
            data-session-id={s.session_id}
            data-connected={String(s.connected)}
            data-ended={String(ended)}
          >
            <td title={`session ${s.session_id}`}>{s.agent_id}</td>
            <td>{s.mode}</td>
            <td>
              <span className={`badge ${s.connected ? 'connected' : ended ? 'ended' : 'disconnected'}`}>
                {s.connected ? 'connected' : ended ? (s.status === 'closed' ? 'closed' : 'ended') : 'not connected'}
              </span>
            </td>
            <td className="heartbeat" title={s.last_heartbeat_at ?? undefined}>
              {ago(s.last_heartbeat_at)}
            </td>
            <td className="num">{s.unacknowledged}</td>
            <td className="num">{s.awaiting_approval}</td>
            <td className="intake">{intake(s)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
