/**
 * The OpenAPI 3.0.1 document of the Decision Service operations SmartEM uses, generated from our TypeBox schemas.
 * The stand-in server validates against it by default; the agreement test holds it to the published document
 * (same paths, parameters, status codes, types, formats and enums).
 */
import type { TSchema } from 'typebox';
import { componentSchemas, type ComponentName } from './schemas.ts';

export const API_PREFIX = '/api/v1';

type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  summary?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown> };
}

const ref = (name: ComponentName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (name: ComponentName, nullable = false): JsonSchema =>
  nullable ? { type: 'array', items: ref(name), nullable: true } : { type: 'array', items: ref(name) };
const uuid = { type: 'string', format: 'uuid' };
const int32 = { type: 'integer', format: 'int32' };
const problem = 'ProblemDetails' as const;

const path = (name: string, schema: JsonSchema): OpenApiParameter => ({ name, in: 'path', required: true, schema });
const query = (name: string, schema: JsonSchema): OpenApiParameter => ({ name, in: 'query', schema });

/** The request media types the service accepts (ASP.NET's JSON input formatters). */
const BODY_TYPES = ['application/json-patch+json', 'application/json', 'text/json', 'application/*+json'];

/** A response: a component name, an inline schema, or `null` for no body (204, or a 500 the document leaves bare). */
type ResponseSpec = ComponentName | JsonSchema | null;

function operation(
  summary: string,
  spec: { parameters?: OpenApiParameter[]; body?: JsonSchema; responses: Record<number, ResponseSpec> },
): OpenApiOperation {
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    if (response === null) responses[status] = { description: status === '204' ? 'No content' : 'No body' };
    else {
      const schema = typeof response === 'string' ? ref(response) : response;
      responses[status] = { description: `HTTP ${status}`, content: { 'application/json': { schema } } };
    }
  }
  return {
    summary,
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.body ? { requestBody: { content: Object.fromEntries(BODY_TYPES.map((t) => [t, { schema: spec.body! }])) } } : {}),
    responses,
  };
}

const sessionIdParam = path('sessionId', uuid);
const areaQuery = query('areaId', int32);
const decisionTypeQuery = query('decisionType', ref('DecisionType'));
const pluginTypeQuery = query('pluginType', ref('PluginType'));

/** Our operations, keyed by path (without the `/api/v1` prefix) and lower-case method. */
const operations: Record<string, Record<string, OpenApiOperation>> = {
  '/Session': {
    get: operation('Get a session by name', {
      parameters: [query('sessionName', { type: 'string', nullable: true })],
      responses: { 200: 'Session', 400: problem, 404: problem },
    }),
    post: operation('Register a session; the id is generated when omitted', {
      body: ref('Session'),
      responses: { 201: 'Session', 400: problem, 409: problem },
    }),
  },
  '/Session/{id}': {
    get: operation('Get a session', { parameters: [path('id', uuid)], responses: { 200: 'Session', 404: problem } }),
  },
  '/Sessions': { get: operation('All sessions', { responses: { 200: arrayOf('Session') } }) },
  '/Area': {
    post: operation('Register an area', {
      body: ref('Area'),
      responses: { 201: 'Area', 400: problem, 404: problem, 409: problem },
    }),
    put: operation('Update an area, or register it if new', {
      body: ref('Area'),
      responses: { 201: arrayOf('Area'), 400: problem, 404: problem },
    }),
  },
  '/Areas': {
    post: operation('Register many areas', {
      body: arrayOf('Area', true),
      responses: { 201: arrayOf('Area'), 400: problem, 404: problem, 409: problem },
    }),
    put: operation('Update many areas, registering new ones', {
      body: arrayOf('Area', true),
      responses: { 204: null, 400: problem, 404: problem },
    }),
  },
  '/Session/{sessionId}/Area/{areaId}': {
    get: operation('One area', {
      parameters: [sessionIdParam, path('areaId', int32)],
      responses: { 200: 'Area', 404: problem },
    }),
  },
  '/Session/{sessionId}/Areas': {
    get: operation('Areas, optionally filtered by type and parent', {
      parameters: [sessionIdParam, query('areaType', ref('AreaType')), query('parentAreaId', { ...int32, nullable: true })],
      responses: { 200: arrayOf('Area'), 404: problem },
    }),
  },
  '/Session/{sessionId}/Area/{parentAreaId}/Areas': {
    get: operation('Children of an area', {
      parameters: [sessionIdParam, path('parentAreaId', int32)],
      responses: { 200: arrayOf('Area'), 404: problem },
    }),
  },
  '/AreaState': {
    post: operation('Record a state change of an area', {
      body: ref('AreaStateChange'),
      responses: { 201: 'AreaState', 404: problem },
    }),
  },
  '/AreaStates': {
    post: operation('Record state changes of many areas', {
      body: arrayOf('AreaState', true),
      responses: { 201: arrayOf('AreaState'), 400: problem, 404: problem },
    }),
  },
  '/Session/{sessionId}/Area/{areaId}/LatestAreaState': {
    get: operation('The latest state of an area', {
      parameters: [sessionIdParam, path('areaId', int32)],
      responses: { 200: 'AreaState', 400: problem, 404: problem },
    }),
  },
  '/Session/{sessionId}/AreaStates': {
    get: operation('State records, optionally filtered by area type and parent', {
      parameters: [sessionIdParam, query('areaType', ref('AreaType')), query('parentAreaId', { ...int32, nullable: true })],
      responses: { 200: arrayOf('AreaState'), 404: problem },
    }),
  },
  '/Decision': {
    post: operation('Record a decision', { body: ref('DecisionRecord'), responses: { 201: 'DecisionRecord', 404: problem } }),
  },
  '/Decisions': {
    post: operation('Record many decisions', {
      body: arrayOf('DecisionRecord', true),
      responses: { 201: arrayOf('DecisionRecord'), 400: problem, 409: problem },
    }),
  },
  '/Session/{sessionId}/Decision/{decisionId}': {
    get: operation('One decision', {
      parameters: [sessionIdParam, path('decisionId', uuid)],
      responses: { 200: 'DecisionRecord', 400: problem, 404: problem },
    }),
  },
  '/Session/{sessionId}/LatestDecision': {
    get: operation('The most recent decision for an area (204: none)', {
      parameters: [sessionIdParam, areaQuery, decisionTypeQuery, pluginTypeQuery],
      responses: { 200: 'DecisionRecord', 204: null, 400: problem, 404: problem },
    }),
  },
  '/Session/{sessionId}/TimedDecision': {
    get: operation('As LatestDecision, waiting up to `timeout` seconds for one (204 on timeout)', {
      parameters: [sessionIdParam, areaQuery, decisionTypeQuery, query('timeout', int32), pluginTypeQuery],
      responses: { 200: 'DecisionRecord', 204: null, 400: problem, 404: problem, 500: null },
    }),
  },
  '/Session/{sessionId}/Decisions': {
    get: operation('Decisions for a list of areas (repeat the areaIds key)', {
      parameters: [sessionIdParam, query('areaIds', { type: 'array', items: int32, nullable: true }), decisionTypeQuery, pluginTypeQuery],
      responses: { 200: arrayOf('DecisionRecord'), 400: problem, 404: problem },
    }),
    delete: operation('Delete the decisions of an area (of one type, when given)', {
      parameters: [sessionIdParam, areaQuery, decisionTypeQuery],
      responses: { 204: null, 400: problem, 404: problem },
    }),
  },
  '/Session/{sessionId}/AllDecisions': {
    delete: operation('Delete every decision of a session', {
      parameters: [sessionIdParam],
      responses: { 204: null, 404: problem },
    }),
  },
};

/** The generated document; a fresh copy each call (the validator may annotate what it is given). */
export function athenaOpenApiDocument(): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [p, ops] of Object.entries(operations)) paths[API_PREFIX + p] = ops;
  const schemas: Record<string, TSchema> = componentSchemas;
  return structuredClone({
    openapi: '3.0.1',
    info: { title: 'Decision Service API (the operations SmartEM uses)', version: 'v1' },
    paths,
    components: { schemas: JSON.parse(JSON.stringify(schemas)) as Record<string, unknown> },
  });
}
