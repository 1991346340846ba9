/** `GET|POST /<parents>/{param}/<children>`: list and create children of a parent (the path's parent wins). */
import { ENTITY_WIRES, type EntityKind } from '@smartem/common';
import { createChild, listChildren } from '../../services/ingest.ts';
import type { App } from '../app.ts';
import { listOf, listQuery, problemRefs, ref, refOf, splitListQuery, uuidParam } from './common.ts';

export function registerChildRoutes(
  app: App,
  parent: { kind: EntityKind; plural: string; param: string },
  child: { kind: EntityKind; segment: string },
): void {
  const name = ENTITY_WIRES[child.kind].name;
  const path = `/${parent.plural}/:${parent.param}/${child.segment}`;
  const tags = [child.segment];
  app.get(path, {
    schema: { tags, params: uuidParam(parent.param), querystring: listQuery(child.kind), response: { 200: listOf(`${name}Response`), ...problemRefs(404) } },
  }, async (req) => listChildren(app.store, parent.kind, req.params[parent.param], child.kind, splitListQuery(req.query)));
  app.post(path, {
    schema: {
      tags, params: uuidParam(parent.param), body: refOf(`${name}Create`),
      response: { 201: ref(`${name}Response`), ...problemRefs(404, 409, 422) },
    },
  }, async (req, reply) => reply.status(201).send(await createChild(app.store, parent.kind, req.params[parent.param], child.kind, req.body)));
}
