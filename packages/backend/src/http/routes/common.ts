/** Schemas and helpers shared by the route groups. */
import { Type, type TSchema } from 'typebox';
import { ENTITY_WIRES, fieldSchema, ID_MAX_LENGTH, KINDS, NO_NUL_PATTERN, parentsOf, required, type EntityKind } from '@smartem/common';
import { deleteEntity, getEntity, listEntities, updateEntity } from '../../services/ingest.ts';
import type { Row } from '../../services/convert.ts';
import type { App } from '../app.ts';

export const ref = (id: string) => ({ $ref: `${id}#` });
/** A reference to a shared schema, typed for the handler as `T` (the registered schema validates it). */
export const refOf = <T = Row>(id: string) => Type.Unsafe<T>(ref(id));
export const listOf = (id: string) => ({ type: 'array', items: ref(id) });
export const problemRefs = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ref('ProblemDetails')]));
/** An identifier in a path: what the identifier columns hold (`@smartem/common` limits.ts), so never a database error. */
export const idString = () => Type.String({ minLength: 1, maxLength: ID_MAX_LENGTH, pattern: NO_NUL_PATTERN });
/** Path parameters that are identifiers. */
export const uuidParam = (...names: string[]) => Type.Object(Object.fromEntries(names.map((name) => [name, idString()])));

/** Additive paging and filtering of list routes: `?limit=&offset=&status=` and the entity's parent/natural id. */
export function listQuery(kind: EntityKind) {
  const props: Record<string, TSchema> = {
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'page size, 1–999999 (default: all rows)' })),
    offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'rows to skip (rows are ordered by uuid)' })),
  };
  const parent = parentsOf(kind)[0];
  const natural = KINDS[kind].natural;
  const fields = ENTITY_WIRES[kind].fields;
  // Each filter is its field's own schema (never null): a status outside the enum or an over-long id is a 400.
  const filter = (name: string, description: string) =>
    Type.Optional(Type.Unsafe({ ...(fieldSchema({ ...required(fields[name]!), description }) as object) }));
  if ('status' in fields) props.status = filter('status', 'only rows with this status');
  if (parent) props[parent.field] = filter(parent.field, 'only children of this parent');
  if (natural) props[natural] = filter(natural, 'only rows with this natural (EPU) id');
  return Type.Object(props, { additionalProperties: false });
}

export function splitListQuery(query: Record<string, unknown>) {
  const { limit, offset, ...where } = query;
  return { limit: limit === undefined ? undefined : Number(limit), offset: offset === undefined ? undefined : Number(offset), where };
}

/**
 * `GET /<plural>`, `GET|PUT|DELETE /<plural>/{param}` for one entity: the original's single-entity routes
 * (updates apply only the keys sent; an explicit null clears a column; deletes really delete, with cascade).
 */
export function registerEntityRoutes(app: App, kind: EntityKind, plural: string, param: string, tag = plural): void {
  const tags = [tag];
  const name = ENTITY_WIRES[kind].name;
  const response = `${name}Response`;
  app.get(
    `/${plural}`,
    {
      schema: {
        tags,
        summary: `list ${plural}`,
        description: `Every ${name} row, ordered by uuid; filter by status, parent or natural id and page with limit/offset.`,
        querystring: listQuery(kind),
        response: { 200: listOf(response), ...problemRefs(400) },
      },
    },
    async (req) => listEntities(app.store, kind, splitListQuery(req.query)),
  );
  app.get(
    `/${plural}/:${param}`,
    {
      schema: {
        tags,
        summary: `read one ${name}`,
        description: `The ${name} with this uuid; 404 when there is none.`,
        params: uuidParam(param),
        response: { 200: ref(response), ...problemRefs(404) },
      },
    },
    async (req) => getEntity(app.store, kind, req.params[param]),
  );
  app.put(
    `/${plural}/:${param}`,
    {
      schema: {
        tags,
        summary: `update one ${name}`,
        description: `Sets the fields sent (an explicit null clears one; fields not sent keep their value) and publishes \`${KINDS[kind].event}.updated\`.`,
        params: uuidParam(param),
        body: refOf(`${name}Update`),
        response: { 200: ref(response), ...problemRefs(404, 409, 422) },
      },
    },
    async (req) => updateEntity(app.store, kind, req.params[param], req.body),
  );
  app.delete(
    `/${plural}/:${param}`,
    {
      schema: {
        tags,
        summary: `delete one ${name}`,
        description: `Deletes the ${name} and, by cascade, everything under it; publishes \`${KINDS[kind].event}.deleted\`.`,
        params: uuidParam(param),
        response: { 204: Type.Null(), ...problemRefs(404) },
      },
    },
    async (req, reply) => {
      await deleteEntity(app.store, kind, req.params[param]);
      return reply.status(204).send(null);
    },
  );
}
