/**
 * The backend → agent instruction channel on the wire: agent sessions, the instructions streamed to an agent
 * (Server-Sent Events `connection`, `instruction`, `heartbeat`) and its acknowledgements. Paths and field names are
 * those of the original's later agent channel, so its agent could talk to ours:
 * `GET /agent/{agent_id}/session/{session_id}/instructions/stream`,
 * `POST /agent/{agent_id}/session/{session_id}/instructions/{instruction_id}/ack`,
 * `POST /agent/{agent_id}/session/{session_id}/heartbeat`.
 */
import { Type, type Static } from 'typebox';
import { INT4_MAX, NO_NUL_PATTERN } from './limits.ts';

/** How an agent applies instructions: log what it would do, wait for an operator's approval, or act at once. */
export const AGENT_MODES = ['observe', 'confirm', 'auto'] as const;
export type AgentMode = (typeof AGENT_MODES)[number];

export const INSTRUCTION_STATUSES = [
  'awaiting_approval',
  'pending',
  'sent',
  'received',
  'processed',
  'failed',
  'declined',
  'expired',
  'superseded',
] as const;
export type InstructionStatus = (typeof INSTRUCTION_STATUSES)[number];

/** An agent's acknowledgement: `received` on arrival, then one of the final three. */
export const ACK_STATUSES = ['received', 'processed', 'failed', 'declined'] as const;
export type AckStatus = (typeof ACK_STATUSES)[number];

const id = (description: string) => Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL_PATTERN, description });
const literalUnion = <T extends readonly string[]>(values: T, description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

export const AgentSessionRegistration = Type.Object(
  {
    acquisition_uuid: id('the acquisition this agent session serves'),
    mode: literalUnion(AGENT_MODES, 'how the agent applies instructions'),
    description: Type.Optional(Type.String({ maxLength: 1000, pattern: NO_NUL_PATTERN })),
  },
  { $id: 'AgentSessionRegistration', additionalProperties: false },
);
export type AgentSessionRegistration = Static<typeof AgentSessionRegistration>;

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** The agent's own intake backlog, sent with each heartbeat (optional: older agents send no body). */
export const AgentHeartbeat = Type.Object(
  {
    pending: count('files and entities waiting to be sent to the backend'),
    orphans: count('entities waiting for their parent'),
    failed: count('files or entities that could not be sent'),
  },
  { $id: 'AgentHeartbeat', additionalProperties: false },
);
export type AgentHeartbeat = Static<typeof AgentHeartbeat>;

const latestCount = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

export const AgentSession = Type.Object(
  {
    agent_id: Type.String(),
    session_id: Type.String(),
    acquisition_uuid: Type.Union([Type.String(), Type.Null()]),
    mode: literalUnion(AGENT_MODES, 'how the agent applies instructions'),
    status: Type.String({ description: 'active or closed' }),
    description: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    last_activity_at: Type.String(),
    connected: Type.Boolean({ description: 'an instruction stream is open and heartbeating' }),
    last_heartbeat_at: Type.Union([Type.String(), Type.Null()]),
    unacknowledged: Type.Integer({ description: 'instructions sent or waiting that the agent has not finished' }),
    awaiting_approval: Type.Integer({ description: 'instructions waiting for an operator (confirm mode)' }),
    intake_pending: latestCount("the agent's files and entities waiting to be sent, as of its last heartbeat (null: never reported)"),
    intake_orphans: latestCount("the agent's entities waiting for their parent, as of its last heartbeat"),
    intake_failed: latestCount("the agent's files or entities that could not be sent, as of its last heartbeat"),
  },
  { $id: 'AgentSession' },
);
export type AgentSession = Static<typeof AgentSession>;

/** Skip squares: EPU should not collect them. */
export const SkipGridSquaresPayload = Type.Object({
  grid_uuid: Type.String(),
  gridsquares_to_skip: Type.Array(
    Type.Object({ gridsquare_uuid: Type.String(), gridsquare_id: Type.String(), skip_reason: Type.String() }),
  ),
});
/** The order in which to collect the squares still worth collecting. */
export const ReorderGridSquaresPayload = Type.Object({
  grid_uuid: Type.String(),
  gridsquare_order: Type.Array(Type.Object({ gridsquare_uuid: Type.String(), gridsquare_id: Type.String(), quality_score: Type.Number() })),
});
/** Which foil holes of a square to collect, in order; the others are deselected. */
export const ReorderFoilHolesPayload = Type.Object({
  grid_uuid: Type.String(),
  gridsquare_uuid: Type.String(),
  gridsquare_id: Type.String(),
  foilhole_order: Type.Array(Type.Object({ foilhole_uuid: Type.String(), foilhole_id: Type.String(), priority_score: Type.Number() })),
  foilholes_to_skip: Type.Array(Type.Object({ foilhole_uuid: Type.String(), foilhole_id: Type.String() })),
});

/** An operator's choice for one grid square or foil hole: collect it or not (`foilhole_*` set for a hole). */
export const SelectAreaPayload = Type.Object({
  grid_uuid: Type.String(),
  gridsquare_uuid: Type.String(),
  gridsquare_id: Type.String(),
  foilhole_uuid: Type.Optional(Type.String()),
  foilhole_id: Type.Optional(Type.String()),
  include: Type.Boolean(),
  reason: Type.String(),
});

export const INSTRUCTION_TYPES = {
  'athena.control.skip_gridsquares': SkipGridSquaresPayload,
  'athena.control.reorder_gridsquares': ReorderGridSquaresPayload,
  'athena.control.reorder_foilholes': ReorderFoilHolesPayload,
  'athena.control.select_area': SelectAreaPayload,
} as const;
export type InstructionType = keyof typeof INSTRUCTION_TYPES;
export type InstructionPayload<T extends InstructionType> = Static<(typeof INSTRUCTION_TYPES)[T]>;

/** The `data` of an SSE `instruction` event (its SSE `id` is the sequence number). */
export const InstructionMessage = Type.Object(
  {
    instruction_id: Type.String(),
    agent_id: Type.String(),
    session_id: Type.String(),
    instruction_type: Type.String(),
    payload: Type.Record(Type.String(), Type.Unknown()),
    sequence_number: Type.Integer(),
    priority: Type.Integer(),
    created_at: Type.String(),
    expires_at: Type.String(),
    metadata: Type.Object({ topic: Type.Union([Type.String(), Type.Null()]), retries: Type.Integer() }),
  },
  { $id: 'InstructionMessage' },
);
export type InstructionMessage = Static<typeof InstructionMessage>;

export const InstructionAck = Type.Object(
  {
    status: literalUnion(ACK_STATUSES, 'received on arrival; then processed, failed or declined'),
    result: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    error_message: Type.Optional(Type.Union([Type.String({ maxLength: 4000, pattern: NO_NUL_PATTERN }), Type.Null()])),
    processing_time_ms: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: INT4_MAX }), Type.Null()])),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  },
  { $id: 'InstructionAck', additionalProperties: false },
);
export type InstructionAck = Static<typeof InstructionAck>;

export const InstructionRecord = Type.Object(
  {
    instruction_id: Type.String(),
    agent_id: Type.String(),
    session_id: Type.String(),
    instruction_type: Type.String(),
    topic: Type.Union([Type.String(), Type.Null()]),
    payload: Type.Record(Type.String(), Type.Unknown()),
    sequence_number: Type.Integer(),
    priority: Type.Integer(),
    status: literalUnion(INSTRUCTION_STATUSES, 'where the instruction is'),
    created_at: Type.String(),
    sent_at: Type.Union([Type.String(), Type.Null()]),
    expires_at: Type.String(),
    retries: Type.Integer(),
    acknowledged_at: Type.Union([Type.String(), Type.Null()]),
    result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    error_message: Type.Union([Type.String(), Type.Null()]),
    processing_time_ms: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'InstructionRecord' },
);
export type InstructionRecord = Static<typeof InstructionRecord>;

/** An operator's manual skip or include of a grid square or foil hole, for the agents serving its acquisition. */
export const OperatorInstruction = Type.Object(
  {
    action: literalUnion(['skip', 'include'] as const, 'collect the area (include) or not (skip)'),
    gridsquare_uuid: Type.Optional(id('the grid square (give this or foilhole_uuid)')),
    foilhole_uuid: Type.Optional(id('the foil hole (give this or gridsquare_uuid)')),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { $id: 'OperatorInstruction', additionalProperties: false },
);
export type OperatorInstruction = Static<typeof OperatorInstruction>;
