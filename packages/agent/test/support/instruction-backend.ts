// A real backend process (embedded: PGlite, in-process bus and worker) that also writes instructions for agent
// sessions on request, as the decision engine will: one JSON line on stdin
// `{"session_id", "items": [{"type", "topic", "payload", "priority"?}]}` → one line `issued <json rows>` on stdout.
// Arguments: the PGlite data directory and the port (0: any).
import { createInterface } from 'node:readline';
import { createLogger } from '@smartem/common';
import { findAgentSession, issueInstructions, startBackend, type NewInstruction } from '@smartem/backend';

const [dataDir, port] = process.argv.slice(2);
const backend = await startBackend({
  log: createLogger({ level: 'warn', name: 'backend', pretty: false }),
  dataDir,
  port: Number(port ?? 0),
  worker: true,
  // Only the instructions the test writes: the engine's own recommendations would add to them.
  recommend: false,
});
process.stdout.write(`listening on ${backend.url}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    const { session_id, items } = JSON.parse(line) as { session_id: string; items: NewInstruction[] };
    const session = await findAgentSession(backend.handle.db, session_id);
    if (!session) throw new Error(`no agent session ${session_id}`);
    const rows = await issueInstructions(backend.handle.db, [session], items);
    process.stdout.write(
      `issued ${JSON.stringify(rows.map((r) => ({ instruction_id: r.instruction_id, sequence_number: r.sequence_number })))}\n`,
    );
  } catch (error) {
    process.stdout.write(`issue failed ${JSON.stringify(String(error))}\n`);
  }
}
