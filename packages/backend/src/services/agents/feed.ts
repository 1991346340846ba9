/**
 * One `LISTEN smartem_instructions` per API process, shared by every open instruction stream: a notification names a
 * session; the streams of that session look for instructions to send. After the listening connection was lost and
 * restored, every stream looks (notifications may have been missed).
 */
import type { Listen, Unlisten } from '../../db/index.ts';
import { INSTRUCTION_CHANNEL } from '../../repositories/instructions.ts';

export interface InstructionFeed {
  /** Calls `wake` whenever the session may have something new; returns the unsubscribe function. */
  subscribe(sessionId: string, wake: () => void): Promise<() => void>;
  close(): Promise<void>;
}

export function createInstructionFeed(listen: Listen): InstructionFeed {
  const subscribers = new Map<string, Set<() => void>>();
  let listening: Promise<Unlisten> | undefined;
  const dispatch = (payload: string | null): void => {
    const targets = payload === null ? [...subscribers.values()] : [subscribers.get(payload) ?? new Set()];
    for (const set of targets) for (const wake of set) wake();
  };
  return {
    async subscribe(sessionId, wake) {
      listening ??= listen(INSTRUCTION_CHANNEL, dispatch);
      try {
        await listening;
      } catch (error) {
        listening = undefined;
        throw error;
      }
      const set = subscribers.get(sessionId) ?? new Set();
      set.add(wake);
      subscribers.set(sessionId, set);
      return () => {
        set.delete(wake);
        if (set.size === 0) subscribers.delete(sessionId);
      };
    },
    async close() {
      subscribers.clear();
      const stop = listening;
      listening = undefined;
      if (stop) await (await stop.catch(() => async () => {}))();
    },
  };
}
