/** The backend's programmatic entry points (the CLI lives in `cli.ts`; heavy modules load on first use). */
export { openDatabase, migrateDatabase, type Db, type DatabaseHandle } from './db/index.ts';
export { insertOutbox } from './repositories/outbox.ts';
export { buildApp, type AppOptions } from './http/app.ts';
export { startBackend, type BackendOptions, type RunningBackend } from './runtime/backend.ts';
export { defaultDataDir } from './runtime/data-dir.ts';
export { createBus, PermanentMessageError, type Bus, type BusMessage } from './bus/index.ts';
export { tableTotals, TABLES, type TableTotal } from './repositories/table-totals.ts';
export { formatTotals } from './services/table-totals.ts';
export { CONNECTION_TIMEOUT_MS, issueInstructions, type NewInstruction } from './services/agents/instructions.ts';
export { findSession as findAgentSession } from './repositories/instructions.ts';
