/**
 * One agent's instruction stream: on opening, every instruction the agent has not finished (highest priority first,
 * then in the order written); afterwards each new or re-delivered one as soon as the feed says the session has
 * something. An instruction is sent once per connection (again only after a retry); the agent deduplicates by id.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { InstructionMessage } from '@smartem/common';
import type { Db } from '../../db/index.ts';
import * as repo from '../../repositories/instructions.ts';
import type { NotifyFeed } from '../notify-feed.ts';
import { instructionMessage } from './instructions.ts';

export interface InstructionStream {
  connectionId: string;
  /** The agent is still there (a heartbeat event was written to it). */
  beat(): Promise<void>;
  close(reason: string): Promise<void>;
}

const REPLICA = `${hostname()}:${process.pid}`;

export async function openInstructionStream(
  db: Db,
  feed: NotifyFeed,
  session: { session_id: string; agent_id: string },
  send: (message: InstructionMessage) => void,
  onError: (error: unknown) => void,
): Promise<InstructionStream> {
  const connectionId = randomUUID();
  await repo.openConnection(db, {
    connection_id: connectionId,
    session_id: session.session_id,
    agent_id: session.agent_id,
    replica: REPLICA,
  });
  /** instruction id → the retry count it was last sent with on this connection. */
  const sent = new Map<string, number>();
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const deliver = async (): Promise<void> => {
    const rows = await repo.unfinishedInstructions(db, session.session_id);
    const fresh = rows.filter((r) => sent.get(r.instruction_id) !== r.retries);
    for (const row of fresh) {
      if (closed) return;
      send(instructionMessage(row));
      sent.set(row.instruction_id, row.retries);
    }
    await repo.markSent(
      db,
      fresh.filter((r) => r.status === 'pending').map((r) => r.instruction_id),
    );
  };
  // Deliveries never overlap: a wake during one runs another right after it.
  const wake = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = deliver()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };

  const unsubscribe = await feed.subscribe(session.session_id, wake);
  wake();
  return {
    connectionId,
    beat: () => repo.recordHeartbeat(db, session.session_id, connectionId),
    async close(reason) {
      if (closed) return;
      closed = true;
      unsubscribe();
      await running;
      await repo.closeConnection(db, connectionId, reason);
    },
  };
}
