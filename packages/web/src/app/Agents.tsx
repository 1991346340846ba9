/**
 * `/ui/`: the agent sessions of each acquisition — connected or not, last heartbeat, instructions not yet finished, and
 * the agent's own intake backlog as of its last heartbeat.
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

/** The sessions of one acquisition, or a line saying none has registered. */
export function AgentSessions({ sessions }: { sessions: AgentSession[] }) {
  if (sessions.length === 0) return <p className="muted">no agent has registered for this acquisition</p>;
  return (
    <table className="agents">
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
          <tr key={`${s.agent_id}/${s.session_id}`} data-agent-id={s.agent_id} data-connected={String(s.connected)}>
            <td title={`session ${s.session_id}`}>{s.agent_id}</td>
            <td>{s.mode}</td>
            <td>
              <span className={`badge ${s.connected ? 'connected' : 'disconnected'}`}>{s.connected ? 'connected' : s.status === 'closed' ? 'closed' : 'not connected'}</span>
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
