/** Schemas and helpers shared by the route groups. */
import type { App } from '../app.ts';
import { Type, type TSchema } from 'typebox';
import type { EntityDef } from '../entities.ts';
import { rowToWire, type Row } from '../convert.ts';
import { findOne, list, requireParent, updateOne, deleteOne } from '../store/crud.ts';
import { bodyToRow } from '../convert.ts';
import { notFound } from '../errors.ts';

export const ref = (id: string) => ({ $ref: `${id}#` });
export const listOf = (id: string) => ({ type: 'array', items: ref(id) });
export const problemRefs = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ref('ProblemDetails')]));
export const uuidParam = (name: string) => Type.Object({ [name]: Type.String({ minLength: 1 }) });

/** Additive paging and filtering of list routes: `?limit=&offset=&status=` and the entity's parent/natural id. */
export function listQuery(def: EntityDef) {
  const props: Record<string, TSchema> = {
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'page size, 1–999999 (default: all rows)' })),
    offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'rows to skip (rows are ordered by uuid)' })),
  };
  if ('status' in def.wire.fields) props.status = Type.Optional(Type.String({ description: 'only rows with this status' }));
  if (def.parent) props[def.parent.column] = Type.Optional(Type.String({ description: 'only children of this parent' }));
  if (def.natural) props[def.natural] = Type.Optional(Type.String({ description: 'only rows with this natural (EPU) id' }));
  return Type.Object(props, { additionalProperties: false });
}

export function splitListQuery(query: Record<string, unknown>) {
  const { limit, offset, ...where } = query as { limit?: string; offset?: string } & Record<string, unknown>;
  return { limit: limit === undefined ? undefined : Number(limit), offset: offset === undefined ? undefined : Number(offset), where };
}

export const wire = (def: EntityDef, row: Row) => rowToWire(def.wire.fields, row);

/**
 * `GET /<plural>`, `GET|PUT|DELETE /<plural>/{param}` for one entity: the original's single-entity routes
 * (updates apply only the keys sent; an explicit null clears a column; deletes really delete, with cascade).
 */
export function registerEntityRoutes(app: App, def: EntityDef, plural: string, param: string): void {
  const tags = [plural];
  const response = `${def.wire.name}Response`;
  app.get(`/${plural}`, { schema: { tags, querystring: listQuery(def), response: { 200: listOf(response), ...problemRefs(400) } } }, async (req) => {
    const rows = await list(app.store.db, def, splitListQuery(req.query as Record<string, unknown>));
    return rows.map((r) => wire(def, r));
  });
  app.get(`/${plural}/:${param}`, { schema: { tags, params: uuidParam(param), response: { 200: ref(response), ...problemRefs(404) } } }, async (req) => {
    const row = await findOne(app.store.db, def, (req.params as Record<string, string>)[param]);
    if (!row) throw notFound(def.notFound);
    return wire(def, row);
  });
  app.put(`/${plural}/:${param}`, {
    schema: { tags, params: uuidParam(param), body: ref(`${def.wire.name}Update`), response: { 200: ref(response), ...problemRefs(404, 409, 422) } },
  }, async (req) => {
    const uuid = (req.params as Record<string, string>)[param];
    const changes = bodyToRow(def.wire.fields, req.body as Row, { omit: ['uuid'] });
    if (def.parent && changes[def.parent.column] != null) await requireParent(app.store.db, def, changes[def.parent.column]);
    return wire(def, await updateOne(app.store, def, uuid, changes));
  });
  app.delete(`/${plural}/:${param}`, { schema: { tags, params: uuidParam(param), response: { 204: Type.Null(), ...problemRefs(404) } } }, async (req, reply) => {
    await deleteOne(app.store, def, (req.params as Record<string, string>)[param]);
    return reply.status(204).send(null);
  });
}
