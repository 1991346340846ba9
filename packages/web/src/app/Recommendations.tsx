/**
 * SmartEM's recommendations as the agents receive them (instructions): those an agent in confirm mode holds for an
 * operator, with what they would do and the estimate behind it, to approve or decline; the latest ones with where
 * they stand (sent, received, processed at Athena…); and an operator's own skip or include of a grid square or foil
 * hole. Reloaded when the page's live stream says an instruction changed (`InstructionsVersion`), never polled.
 */
import { useContext, useState } from 'react';
import type { AgentSession, InstructionRecord } from '@smartem/common';
import { ApiError, get, paths, post, type Grid } from './api.ts';
import { canOperate } from './auth.ts';
import { useAuth } from './SignIn.tsx';
import { useData } from './useData.ts';
import { InstructionsVersion } from './useLive.ts';

const RECENT_SHOWN = 6;
const ITEMS_SHOWN = 8;

/** The message for a refused action: a 403 says which role is missing, a 409 why it cannot be done now. */
function failure(err: unknown): string {
  if (err instanceof ApiError && err.status === 403) return 'Not allowed: this needs the smartem-operator role (403).';
  if (err instanceof ApiError && err.status === 401) return 'Your sign-in has expired: reload the page to sign in again (401).';
  return err instanceof Error ? err.message : String(err);
}

type Item = Record<string, unknown>;
const items = (p: Item, key: string) => (Array.isArray(p[key]) ? (p[key] as Item[]) : []);
const pctOf = (v: unknown) => (typeof v === 'number' ? `${Math.round(v * 100)} %` : '–');

/** What an instruction would do, in words: a title and its first lines (area and the estimate behind it). */
export function describe(i: Pick<InstructionRecord, 'instruction_type' | 'payload'>): { title: string; lines: string[]; more: number } {
  const p = i.payload;
  const cut = (lines: string[]) => ({ lines: lines.slice(0, ITEMS_SHOWN), more: Math.max(0, lines.length - ITEMS_SHOWN) });
  switch (i.instruction_type) {
    case 'athena.control.skip_gridsquares': {
      const squares = items(p, 'gridsquares_to_skip');
      return { title: `Skip ${squares.length} grid square${squares.length === 1 ? '' : 's'}`, ...cut(squares.map((s) => `square ${s.gridsquare_id}: ${s.skip_reason}`)) };
    }
    case 'athena.control.reorder_gridsquares': {
      const squares = items(p, 'gridsquare_order');
      return {
        title: `Collect ${squares.length} grid square${squares.length === 1 ? '' : 's'} in this order`,
        ...cut(squares.map((s, k) => `${k + 1}. square ${s.gridsquare_id} (expected good ${pctOf(s.quality_score)})`)),
      };
    }
    case 'athena.control.reorder_foilholes': {
      const order = items(p, 'foilhole_order');
      const skip = items(p, 'foilholes_to_skip');
      return {
        title: `Grid square ${p.gridsquare_id}: collect ${order.length} foil hole${order.length === 1 ? '' : 's'} in order${skip.length > 0 ? `, skip ${skip.length}` : ''}`,
        ...cut([
          ...order.map((h, k) => `${k + 1}. hole ${h.foilhole_id} (P(good) ${pctOf(h.priority_score)})`),
          ...(skip.length > 0 ? [`skip holes ${skip.map((h) => h.foilhole_id).join(', ')}`] : []),
        ]),
      };
    }
    case 'athena.control.select_area': {
      const what = p.foilhole_id !== undefined ? `foil hole ${p.foilhole_id} of grid square ${p.gridsquare_id}` : `grid square ${p.gridsquare_id}`;
      return { title: `${p.include ? 'Include' : 'Skip'} ${what}`, lines: [String(p.reason ?? '')], more: 0 };
    }
    default:
      return { title: i.instruction_type, lines: [], more: 0 };
  }
}

interface GridInstructions {
  sessions: AgentSession[];
  pending: InstructionRecord[];
  recent: InstructionRecord[];
}

async function loadGridInstructions(gridUuid: string, signal: AbortSignal): Promise<GridInstructions> {
  const [grid, agents] = await Promise.all([get<Grid>(paths.grid(gridUuid), signal), get<AgentSession[]>(paths.agents(), signal)]);
  const sessions = agents.filter((s) => s.acquisition_uuid === grid.acquisition_uuid && s.status === 'active');
  const lists = await Promise.all(sessions.map((s) => get<InstructionRecord[]>(paths.sessionInstructions(s.agent_id, s.session_id), signal)));
  const mine = lists.flat().filter((i) => i.payload.grid_uuid === gridUuid);
  return {
    sessions,
    pending: mine.filter((i) => i.status === 'awaiting_approval').sort((a, b) => b.priority - a.priority || a.sequence_number - b.sequence_number),
    recent: mine.filter((i) => i.status !== 'awaiting_approval' && i.status !== 'superseded').slice(0, RECENT_SHOWN),
  };
}

function InstructionText({ instruction }: { instruction: InstructionRecord }) {
  const d = describe(instruction);
  return (
    <>
      <strong>{d.title}</strong>
      {d.lines.length > 0 && (
        <ul className="why">
          {d.lines.map((l, k) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines are fixed per instruction
            <li key={k}>{l}</li>
          ))}
          {d.more > 0 && <li className="muted">… and {d.more} more</li>}
        </ul>
      )}
    </>
  );
}

/** The grid's recommendations awaiting approval, with Approve / Decline, and the latest instructions' states. */
export function RecommendationsPanel({ gridUuid }: { gridUuid: string }) {
  const auth = useAuth();
  const allowed = canOperate(auth);
  const loaded = useData(`instructions:${gridUuid}`, (signal) => loadGridInstructions(gridUuid, signal), useContext(InstructionsVersion));
  const data = loaded.status === 'ok' ? loaded.data : null;
  const error = loaded.status === 'error' ? loaded.error : null;
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const decide = async (i: InstructionRecord, action: 'approve' | 'decline') => {
    setBusy(i.instruction_id);
    try {
      await post<InstructionRecord>(paths.decide(i.instruction_id, action));
      setMessage({ text: `${action === 'approve' ? 'Approved' : 'Declined'}: ${describe(i).title}`, error: false });
    } catch (err) {
      setMessage({ text: failure(err), error: true });
    } finally {
      setBusy(null);
    }
  };

  const confirmMode = data?.sessions.some((s) => s.mode === 'confirm') ?? false;
  return (
    <section className="card recommendations" aria-labelledby={`rec-${gridUuid}`} data-testid="recommendations">
      <h3 id={`rec-${gridUuid}`}>
        Recommendations awaiting approval <span className="badge" data-testid="awaiting-count">{data ? data.pending.length : '…'}</span>
      </h3>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {data && data.sessions.length === 0 && <p className="muted">No agent serves this grid's acquisition.</p>}
      {data && data.sessions.length > 0 && !confirmMode && data.pending.length === 0 && (
        <p className="muted">The agent runs in {data.sessions.map((s) => s.mode).join(', ')} mode: recommendations need no approval.</p>
      )}
      {data && confirmMode && data.pending.length === 0 && <p className="muted">Nothing awaits approval.</p>}
      {!allowed && <p className="muted">Signed in without the smartem-operator role: you can read, not decide.</p>}
      <div aria-live="polite">{message && <p className={message.error ? 'error' : 'ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}</div>
      <ol className="awaiting-list">
        {data?.pending.map((i) => {
          const title = describe(i).title;
          return (
            <li key={i.instruction_id} data-instruction-id={i.instruction_id} data-instruction-type={i.instruction_type}>
              <InstructionText instruction={i} />
              <div className="actions">
                <button
                  type="button"
                  className="approve"
                  disabled={!allowed || busy !== null}
                  aria-label={`Approve: ${title}`}
                  title={allowed ? 'send it to the agent' : 'needs the smartem-operator role'}
                  onClick={() => void decide(i, 'approve')}
                >
                  Approve
                </button>
                <button
                  type="button"
                  className="decline"
                  disabled={!allowed || busy !== null}
                  aria-label={`Decline: ${title}`}
                  title={allowed ? 'finish it without reaching the agent' : 'needs the smartem-operator role'}
                  onClick={() => void decide(i, 'decline')}
                >
                  Decline
                </button>
              </div>
            </li>
          );
        })}
      </ol>
      {data && data.recent.length > 0 && (
        <>
          <h3>Latest instructions</h3>
          <ul className="recent">
            {data.recent.map((i) => (
              <li key={i.instruction_id} data-instruction-id={i.instruction_id} data-status={i.status}>
                <span className={`badge ${i.status}`}>{i.status}</span> {describe(i).title}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** Skip / Include buttons for one grid square or foil hole: an operator's instruction to the acquisition's agents. */
export function AreaActions({ target }: { target: { kind: 'gridsquare' | 'foilhole'; uuid: string; id: string } }) {
  const allowed = canOperate(useAuth());
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const noun = target.kind === 'gridsquare' ? 'grid square' : 'foil hole';
  const name = `${noun} ${target.id}`;
  const send = async (action: 'skip' | 'include') => {
    setBusy(true);
    try {
      const field = target.kind === 'gridsquare' ? 'gridsquare_uuid' : 'foilhole_uuid';
      const written = await post<InstructionRecord[]>(paths.operatorInstruction(), { action, [field]: target.uuid });
      setMessage({ text: `${action === 'skip' ? 'Skip' : 'Include'} ${name} sent to ${written.length} agent${written.length === 1 ? '' : 's'}.`, error: false });
    } catch (err) {
      setMessage({ text: failure(err), error: true });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="area-actions" data-testid={`actions-${target.kind}`}>
      <span className="muted">Tell the agent:</span>
      <button type="button" disabled={!allowed || busy} aria-label={`Skip ${name}`} onClick={() => void send('skip')}>
        Skip this {noun}
      </button>
      <button type="button" disabled={!allowed || busy} aria-label={`Include ${name}`} onClick={() => void send('include')}>
        Include this {noun}
      </button>
      <span aria-live="polite">{message && <span className={message.error ? 'error' : 'ok'} role={message.error ? 'alert' : 'status'}>{message.text}</span>}</span>
    </div>
  );
}

/**
 * `/ui/`: how many of an acquisition's recommendations wait for an operator, from the page's one read of the agent
 * sessions (null while it loads).
 */
export function AwaitingApproval({ sessions }: { sessions: AgentSession[] | null }) {
  const n = (sessions ?? []).reduce((a, s) => a + s.awaiting_approval, 0);
  if (n === 0) return null;
  return (
    <span className="badge awaiting" data-testid="awaiting-approval">
      {n} recommendation{n === 1 ? '' : 's'} awaiting approval
    </span>
  );
}
