/** `GET|POST /<parents>/{param}/<children>`: list and create children of a parent (the path's parent wins). */
import type { App } from '../app.ts';
import type { EntityDef } from '../entities.ts';
import { bodyToRow, type Row } from '../convert.ts';
import { exists, list, createOne } from '../store/crud.ts';
import { notFound } from '../errors.ts';
import { listOf, listQuery, problemRefs, ref, splitListQuery, uuidParam, wire } from './common.ts';

export function registerChildRoutes(
  app: App,
  parent: { def: EntityDef; plural: string; param: string },
  child: { def: EntityDef; segment: string },
): void {
  const { def } = child;
  const column = def.parent!.column;
  const path = `/${parent.plural}/:${parent.param}/${child.segment}`;
  const tags = [child.segment];
  app.get(path, {
    schema: { tags, params: uuidParam(parent.param), querystring: listQuery(def), response: { 200: listOf(`${def.wire.name}Response`), ...problemRefs(404) } },
  }, async (req) => {
    const parentUuid = (req.params as Record<string, string>)[parent.param];
    if (!(await exists(app.store.db, parent.def, parentUuid))) throw notFound(parent.def.notFound);
    const query = splitListQuery(req.query as Record<string, unknown>);
    const rows = await list(app.store.db, def, { ...query, where: { ...query.where, [column]: parentUuid } });
    return rows.map((r) => wire(def, r));
  });
  app.post(path, {
    schema: {
      tags, params: uuidParam(parent.param), body: ref(`${def.wire.name}Create`),
      response: { 201: ref(`${def.wire.name}Response`), ...problemRefs(404, 409, 422) },
    },
  }, async (req, reply) => {
    const parentUuid = (req.params as Record<string, string>)[parent.param];
    if (!(await exists(app.store.db, parent.def, parentUuid))) throw notFound(parent.def.notFound);
    const row = { ...bodyToRow(def.wire.fields, req.body as Row), [column]: parentUuid };
    const stored = await createOne(app.store, def, row);
    return reply.status(201).send(wire(def, stored));
  });
}
