/**
 * A generic request/response validator for an OpenAPI 3.0 document: routes a request to the document's operation,
 * then checks its path and query parameters, its body and (later) the response against the schemas the document
 * gives, with Ajv compiled once per operation and every `$ref` resolved against the document's components.
 * Nothing here knows about Athena.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface MediaType {
  schema?: JsonSchema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}

export interface OpenApiLike {
  openapi?: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, unknown>;
}

/** One routed operation with everything compiled for it. */
export interface RoutedOperation {
  method: string;
  /** The document's path template, e.g. `/api/v1/Session/{sessionId}/Areas`. */
  template: string;
  pathParams: Record<string, string>;
  compiled: CompiledOperation;
}

interface CompiledOperation {
  parameters: Parameter[];
  validateParams: ValidateFunction;
  bodyTypes: string[];
  validateBody?: ValidateFunction;
  responses: Map<string, ValidateFunction | null>;
}

export type RouteResult = { kind: 'found'; operation: RoutedOperation } | { kind: 'no-path' } | { kind: 'no-method'; allowed: string[] };

const ROOT_ID = 'openapi-document';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function newAjv(coerce: boolean, document: OpenApiLike): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addSchema({ $id: ROOT_ID, components: document.components ?? {} });
  return ajv;
}

/** Points the document-relative `$ref`s (`#/components/…`) of a schema taken out of the document at its root. */
function anchorRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(anchorRefs);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${ROOT_ID}${v}` : anchorRefs(v);
  }
  return out;
}

/** The schema a `#/…` reference of the document names (one level, for parameter shapes). */
function deref(document: OpenApiLike, schema: JsonSchema | undefined): JsonSchema | undefined {
  const target = schema?.$ref;
  if (typeof target !== 'string' || !target.startsWith('#/')) return schema;
  let node: unknown = document;
  for (const part of target.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node as JsonSchema | undefined;
}

/** A media type's JSON schema: `application/json` when offered, otherwise the first entry. */
function jsonSchemaOf(content: Record<string, MediaType> | undefined): JsonSchema | undefined {
  if (!content) return undefined;
  return (content['application/json'] ?? Object.values(content)[0])?.schema;
}

function mediaTypeMatches(pattern: string, actual: string): boolean {
  if (pattern === actual) return true;
  const [type, subtype] = pattern.split('/');
  const [aType, aSubtype] = actual.split('/');
  if (type !== aType || !subtype || !aSubtype) return false;
  return subtype.startsWith('*+') ? aSubtype.endsWith(subtype.slice(1)) : subtype === '*';
}

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  literalSegments: number;
  methods: Record<string, unknown>;
}

export class OpenApiValidator {
  private readonly document: OpenApiLike;
  private readonly routes: Route[];
  private readonly strictAjv: Ajv;
  private readonly coercingAjv: Ajv;
  private readonly compiled = new Map<string, CompiledOperation>();

  /** Throws when the value is not an OpenAPI 3.0 document this validator can work with. */
  static checkDocument(document: unknown): asserts document is OpenApiLike {
    const d = document as Partial<OpenApiLike> | null;
    if (!d || typeof d !== 'object' || !d.paths || typeof d.paths !== 'object') throw new Error('not an OpenAPI document: no "paths"');
    if (typeof d.openapi !== 'string' || !d.openapi.startsWith('3.0')) {
      throw new Error(`OpenAPI ${String(d.openapi)} is not supported (3.0.x only)`);
    }
  }

  constructor(document: OpenApiLike) {
    OpenApiValidator.checkDocument(document);
    this.document = document;
    this.strictAjv = newAjv(false, document);
    this.coercingAjv = newAjv(true, document);
    this.routes = Object.entries(document.paths)
      .map(([template, methods]) => {
        const names: string[] = [];
        const pattern = template
          .split('/')
          .map((segment) => {
            const param = /^\{([^}]+)\}$/.exec(segment);
            if (param) {
              names.push(param[1]!);
              return '([^/]+)';
            }
            return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('/');
        return {
          template,
          // ASP.NET matches routes case-insensitively; so do we.
          regex: new RegExp(`^${pattern}/?$`, 'i'),
          names,
          literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
          methods,
        };
      })
      .sort((a, b) => b.literalSegments - a.literalSegments);
    // Compile everything up front so that a schema the validator cannot handle fails at start, not on a request.
    for (const route of this.routes) {
      for (const method of Object.keys(route.methods)) {
        if (HTTP_METHODS.includes(method)) this.operationFor(route, method);
      }
    }
  }

  route(method: string, pathname: string): RouteResult {
    const lower = method.toLowerCase();
    let allowed: string[] | undefined;
    for (const route of this.routes) {
      const match = route.regex.exec(pathname);
      if (!match) continue;
      if (!(lower in route.methods)) {
        allowed ??= Object.keys(route.methods)
          .filter((m) => HTTP_METHODS.includes(m))
          .map((m) => m.toUpperCase());
        continue;
      }
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => {
        const raw = match[i + 1]!;
        // A malformed escape stays as sent, and fails the parameter's schema like any other bad value.
        try {
          pathParams[name] = decodeURIComponent(raw);
        } catch {
          pathParams[name] = raw;
        }
      });
      return {
        kind: 'found',
        operation: { method: method.toUpperCase(), template: route.template, pathParams, compiled: this.operationFor(route, lower) },
      };
    }
    return allowed ? { kind: 'no-method', allowed } : { kind: 'no-path' };
  }

  /** Validates and coerces parameters (query values arrive as strings). Returns the typed values, or the errors. */
  validateParameters(
    operation: RoutedOperation,
    query: URLSearchParams,
  ): { ok: true; values: Record<string, unknown> } | { ok: false; errors: string[] } {
    const values: Record<string, unknown> = {};
    for (const p of operation.compiled.parameters) {
      if (p.in === 'path') values[p.name] = operation.pathParams[p.name];
      else if (p.in === 'query' && query.has(p.name)) {
        const all = query.getAll(p.name);
        values[p.name] = deref(this.document, p.schema)?.type === 'array' ? all : all[0];
      }
    }
    const validate = operation.compiled.validateParams;
    if (validate(values)) return { ok: true, values };
    const where = (name: string) => operation.compiled.parameters.find((p) => p.name === name)?.in ?? 'query';
    return {
      ok: false,
      errors: (validate.errors ?? []).map((e) => {
        const [name, ...rest] = e.instancePath.split('/').filter(Boolean);
        const missing = e.keyword === 'required' ? String(e.params.missingProperty) : undefined;
        const paramName = missing ?? name ?? '';
        return describe(e, `${where(paramName)} parameter ${paramName}${rest.map((r) => `[${r}]`).join('')}`, true);
      }),
    };
  }

  /** The media types the operation accepts for a body; empty when it takes none. */
  bodyTypes(operation: RoutedOperation): string[] {
    return operation.compiled.bodyTypes;
  }

  acceptsMediaType(operation: RoutedOperation, contentType: string): boolean {
    const actual = contentType.split(';')[0]!.trim().toLowerCase();
    return operation.compiled.bodyTypes.some((pattern) => mediaTypeMatches(pattern.toLowerCase(), actual));
  }

  /** Validates a parsed body (`null` when the request had none). Returns the errors, empty when valid. */
  validateBody(operation: RoutedOperation, body: unknown): string[] {
    const validate = operation.compiled.validateBody;
    if (!validate) return [];
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => describe(e, `body${pointerToPath(e.instancePath)}`, false));
  }

  /** Checks that the status is one the operation declares and the body matches its schema (no body when none). */
  validateResponse(operation: RoutedOperation, status: number, body: unknown): string[] {
    const responses = operation.compiled.responses;
    if (!responses.has(String(status))) {
      const declared = [...responses.keys()].join(', ');
      return [`status ${status} is not declared for ${operation.method} ${operation.template} (declared: ${declared})`];
    }
    const validate = responses.get(String(status));
    if (!validate) return body === undefined ? [] : [`status ${status} declares no body, but one was sent`];
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => describe(e, `response${pointerToPath(e.instancePath)}`, false));
  }

  private operationFor(route: Route, method: string): CompiledOperation {
    const key = `${method} ${route.template}`;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const op = route.methods[method] as Operation;
    const pathLevel = ((route.methods.parameters as Parameter[] | undefined) ?? []).map(
      (p) => deref(this.document, p as unknown as JsonSchema) as unknown as Parameter,
    );
    const opLevel = (op.parameters ?? []).map((p) => deref(this.document, p as unknown as JsonSchema) as unknown as Parameter);
    const parameters = [...pathLevel.filter((p) => !opLevel.some((o) => o.name === p.name && o.in === p.in)), ...opLevel];
    const paramSchema = {
      type: 'object',
      properties: Object.fromEntries(parameters.map((p) => [p.name, anchorRefs(p.schema ?? {})])),
      required: parameters.filter((p) => p.required || p.in === 'path').map((p) => p.name),
    };
    const bodySchema = jsonSchemaOf(op.requestBody?.content);
    const responses = new Map<string, ValidateFunction | null>();
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const schema = jsonSchemaOf(response.content);
      responses.set(status, schema ? this.strictAjv.compile(anchorRefs(schema) as JsonSchema) : null);
    }
    const compiled: CompiledOperation = {
      parameters,
      validateParams: this.coercingAjv.compile(paramSchema),
      bodyTypes: Object.keys(op.requestBody?.content ?? {}),
      validateBody: bodySchema ? this.strictAjv.compile(anchorRefs(bodySchema) as JsonSchema) : undefined,
      responses,
    };
    this.compiled.set(key, compiled);
    return compiled;
  }
}

/** `/0/areaId` → `[0].areaId`. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}

/** One Ajv error as a sentence naming the field. */
function describe(e: ErrorObject, where: string, isParam: boolean): string {
  switch (e.keyword) {
    case 'required':
      return isParam ? `${where} is required` : `${where}.${String(e.params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${where}.${String(e.params.additionalProperty)} is not a known field`;
    case 'enum':
      return `${where} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
