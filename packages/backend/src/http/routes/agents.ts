/**
 * The backend → agent instruction channel (additive to the original's API; paths and fields as its later agent
 * channel): agent sessions, the Server-Sent Events stream of instructions (`connection`, `instruction`, `heartbeat`),
 * acknowledgements, heartbeats, an operator's approval of instructions held in confirm mode, and an operator's own
 * skip or include of a grid square or foil hole.
 */
import { Type } from 'typebox';
import {
  AgentHeartbeat,
  AgentSession,
  AgentSessionRegistration,
  InstructionAck,
  InstructionRecord,
  INSTRUCTION_STATUSES,
  NO_NUL_PATTERN,
  OperatorInstruction,
} from '@smartem/common';
import type { App } from '../app.ts';
import { HttpError } from '../errors.ts';
import { createNotifyFeed } from '../../services/notify-feed.ts';
import { INSTRUCTION_CHANNEL } from '../../repositories/instructions.ts';
import * as service from '../../services/agents/instructions.ts';
import { InstructionError, instructionRecord } from '../../services/agents/instructions.ts';
import { issueOperatorInstruction } from '../../services/agents/operator.ts';
import { openInstructionStream } from '../../services/agents/stream.ts';
import { sseClientConnected } from '../../metrics.ts';
import { startSse } from '../sse.ts';

const SWEEP_INTERVAL_MS = 30_000;

const agentId = () => Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL_PATTERN });
const Params = Type.Object({ agent_id: agentId(), session_id: agentId() });
const InstructionParams = Type.Object({ ...Params.properties, instruction_id: agentId() });
const StatusQuery = Type.Object(
  { status: Type.Optional(Type.Union(INSTRUCTION_STATUSES.map((s) => Type.Literal(s)))) },
  { additionalProperties: false },
);

function asHttp(error: unknown): never {
  if (error instanceof InstructionError) throw new HttpError(error.status, error.message);
  throw error;
}

export async function agentRoutes(app: App): Promise<void> {
  const db = app.store.db;
  const feed = app.databaseListen ? createNotifyFeed(app.databaseListen, INSTRUCTION_CHANNEL) : undefined;
  const sweeper = setInterval(() => {
    service.sweep(db).catch((error: unknown) => app.log.warn({ error }, 'instruction sweep failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  /** Open streams, ended before the server closes (it would wait for them forever). */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    await feed?.close();
  });
  const tags = ['agents'];

  app.put(
    '/agent/:agent_id/session/:session_id',
    {
      schema: {
        tags,
        summary: 'Register an agent session',
        description: 'An agent announces itself and the acquisition it serves, with the mode in which it applies instructions. Idempotent.',
        params: Params,
        body: AgentSessionRegistration,
        response: { 200: AgentSession, 201: AgentSession },
      },
    },
    async (req, reply) => {
      const { session, created } = await service.registerSession(db, req.params.agent_id, req.params.session_id, req.body).catch(asHttp);
      return reply.status(created ? 201 : 200).send(session);
    },
  );

  app.get(
    '/agents',
    {
      schema: {
        tags,
        summary: 'List agent sessions',
        description: 'Every agent session with its connection state, last heartbeat and instruction backlog.',
        response: { 200: Type.Array(AgentSession) },
      },
    },
    async () => service.listSessions(db),
  );

  app.get(
    '/agent/:agent_id/session/:session_id',
    {
      schema: {
        tags,
        summary: 'Get an agent session',
        description: 'One agent session with its connection state.',
        params: Params,
        response: { 200: AgentSession },
      },
    },
    async (req) => {
      const session = await service.getSession(db, req.params.agent_id, req.params.session_id);
      if (!session) throw new HttpError(404, `agent ${req.params.agent_id} has no session ${req.params.session_id}`);
      return session;
    },
  );

  app.get(
    '/agent/:agent_id/session/:session_id/instructions',
    {
      schema: {
        tags,
        summary: "List a session's instructions",
        description: 'The newest instructions of a session first, optionally of one status.',
        params: Params,
        querystring: StatusQuery,
        response: { 200: Type.Array(InstructionRecord) },
      },
    },
    async (req) => service.listInstructions(db, req.params.agent_id, req.params.session_id, req.query.status).catch(asHttp),
  );

  app.get(
    '/agent/:agent_id/session/:session_id/instructions/stream',
    {
      schema: {
        tags,
        summary: 'Stream instructions to an agent (Server-Sent Events)',
        description:
          'Events: `connection` once, `instruction` for every instruction the agent has not finished (again after each reconnection; the SSE id is its sequence number) and for each new one, `heartbeat` every few seconds.',
        params: Params,
      },
    },
    async (req, reply) => {
      if (!feed) throw new HttpError(503, 'instruction streams need the database listener (start the backend with it)');
      const session = await service.requireSession(db, req.params.agent_id, req.params.session_id).catch(asHttp);
      const write = startSse(reply);
      const raw = reply.raw;
      let stream;
      try {
        stream = await openInstructionStream(
          db,
          feed,
          session,
          (m) => write('instruction', m, m.sequence_number),
          (error) => {
            req.log.warn({ error, session_id: session.session_id }, 'instruction delivery failed; the next wake retries');
          },
        );
      } catch (error) {
        req.log.error({ error }, 'could not open the instruction stream');
        raw.end();
        return;
      }
      write('connection', {
        connection_id: stream.connectionId,
        agent_id: session.agent_id,
        session_id: session.session_id,
        last_event_id: req.headers['last-event-id'] ?? null,
      });
      const timer = setInterval(() => {
        write('heartbeat', { timestamp: new Date().toISOString() });
        stream.beat().catch(() => {});
      }, app.instructionHeartbeatMs);
      const closed = sseClientConnected(req.routeOptions.url ?? 'unmatched');
      const end = (): void => {
        open.delete(end);
        closed();
        clearInterval(timer);
        raw.end();
        void stream.close('disconnected').catch(() => {});
      };
      open.add(end);
      req.raw.once('close', end);
    },
  );

  app.post(
    '/agent/:agent_id/session/:session_id/instructions/:instruction_id/ack',
    {
      schema: {
        tags,
        summary: 'Acknowledge an instruction',
        description: '`received` on arrival, then `processed`, `failed` or `declined` with the result or error and the processing time.',
        params: InstructionParams,
        body: InstructionAck,
        response: { 200: InstructionRecord },
      },
    },
    async (req) => service.acknowledge(db, req.params.agent_id, req.params.session_id, req.params.instruction_id, req.body).catch(asHttp),
  );

  app.post(
    '/agent/:agent_id/session/:session_id/heartbeat',
    {
      // Older agents send no body: validated as null.
      preValidation: async (req) => {
        req.body ??= null;
      },
      schema: {
        tags,
        summary: 'Agent heartbeat',
        description:
          'The agent is alive; records the time on its session and open streams, and (with a body) its intake backlog, shown by `GET /agents`.',
        params: Params,
        body: Type.Union([AgentHeartbeat, Type.Null()]),
        response: { 200: Type.Object({ status: Type.Literal('ok'), timestamp: Type.String() }) },
      },
    },
    async (req) => {
      await service.heartbeat(db, req.params.agent_id, req.params.session_id, req.body ?? undefined).catch(asHttp);
      return { status: 'ok' as const, timestamp: new Date().toISOString() };
    },
  );

  app.post(
    '/instructions',
    {
      schema: {
        tags,
        summary: "An operator's skip or include of a grid square or foil hole",
        description:
          'Written as an `athena.control.select_area` instruction for every active agent session of the acquisition, delivered at once (also in confirm mode: the operator has decided). 409 when no agent serves the acquisition.',
        body: OperatorInstruction,
        response: { 201: Type.Array(InstructionRecord) },
      },
    },
    async (req, reply) => {
      const given = (['gridsquare_uuid', 'foilhole_uuid'] as const).filter((f) => req.body[f] !== undefined);
      if (given.length !== 1) {
        const message = given.length === 0 ? 'give gridsquare_uuid or foilhole_uuid' : 'give only one of gridsquare_uuid and foilhole_uuid';
        throw new HttpError(422, message, [{ field: given[1] ?? 'gridsquare_uuid', message }]);
      }
      const rows = await issueOperatorInstruction(db, req.body).catch(asHttp);
      return reply.status(201).send(rows.map(instructionRecord));
    },
  );

  for (const [action, approve] of [
    ['approve', true],
    ['decline', false],
  ] as const) {
    app.post(
      `/instructions/:instruction_id/${action}`,
      {
        schema: {
          tags,
          summary: `${approve ? 'Approve' : 'Decline'} an instruction held for an operator`,
          description: approve
            ? 'In confirm mode instructions wait for an operator; approving one delivers it to the agent.'
            : 'In confirm mode instructions wait for an operator; declining one finishes it without reaching the agent.',
          params: Type.Object({ instruction_id: agentId() }),
          response: { 200: InstructionRecord },
        },
      },
      async (req) => service.decide(db, req.params.instruction_id, approve).catch(asHttp),
    );
  }
}
