/** `GET|POST /<parents>/{param}/<children>`: list and create children of a parent (the path's parent wins). */
import { ENTITY_WIRES, type EntityKind } from '@smartem/common';
import { createChild, listChildren } from '../../services/ingest.ts';
import type { App } from '../app.ts';
import { listOf, listQuery, problemRefs, ref, refOf, splitListQuery, uuidParam } from './common.ts';

export function registerChildRoutes(
  app: App,
  parent: { kind: EntityKind; plural: string; param: string },
  child: { kind: EntityKind; segment: string },
  tag = parent.plural,
): void {
  const name = ENTITY_WIRES[child.kind].name;
  const path = `/${parent.plural}/:${parent.param}/${child.segment}`;
  const tags = [tag];
  app.get(
    path,
    {
      schema: {
        tags,
        summary: `list the ${child.segment} of one ${ENTITY_WIRES[parent.kind].name}`,
        description: `The parent's ${name} rows, ordered by uuid (404 when the parent does not exist); the same filters and paging as the collection.`,
        params: uuidParam(parent.param),
        querystring: listQuery(child.kind),
        response: { 200: listOf(`${name}Response`), ...problemRefs(404) },
      },
    },
    async (req) => listChildren(app.store, parent.kind, req.params[parent.param], child.kind, splitListQuery(req.query)),
  );
  app.post(
    path,
    {
      schema: {
        tags,
        summary: `create a ${name} under one ${ENTITY_WIRES[parent.kind].name}`,
        description: `Creates the ${name} with the path's parent (which wins over the body's) and publishes its \`.created\` event; 404 when the parent does not exist, 409 for a duplicate uuid or natural id.`,
        params: uuidParam(parent.param),
        body: refOf(`${name}Create`),
        response: { 201: ref(`${name}Response`), ...problemRefs(404, 409, 422) },
      },
    },
    async (req, reply) => reply.status(201).send(await createChild(app.store, parent.kind, req.params[parent.param], child.kind, req.body)),
  );
}
