/**
 * `PUT|GET /images/{kind}/{uuid}`: the preview image of an atlas tile, grid square, foil hole or micrograph. The agent
 * uploads the JPEG EPU wrote (checked by its bytes, capped in size); anyone who may read entities reads it, with an
 * ETag and `Cache-Control: no-cache` (a later manifest may bring a newer image: browsers revalidate, a 304 is cheap).
 */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { IMAGE_ID_PATTERN, IMAGE_KINDS, IMAGE_MAX_BYTES, isJpeg, jpegSize, type ImageKind } from '@smartem/common';
import type { App } from '../app.ts';
import { HttpError } from '../errors.ts';
import { requireEntity } from '../../services/ingest.ts';
import { problemRefs } from './common.ts';

const params = Type.Object({
  kind: Type.Union(
    IMAGE_KINDS.map((k) => Type.Literal(k)),
    { description: 'the entity kind' },
  ),
  uuid: Type.String({ pattern: IMAGE_ID_PATTERN, description: "the entity's uuid" }),
});
// Query strings are not coerced (see app.ts): a whole number of pixels as text.
const frame = (what: string) => Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$', description: what }));
const query = Type.Object(
  {
    frame_width: frame('width in pixels of the full image the preview shows (e.g. the readout area of a grid square image)'),
    frame_height: frame('height in pixels of that full image'),
  },
  { additionalProperties: false },
);
const stored = Type.Object({
  kind: Type.String(),
  uuid: Type.String(),
  etag: Type.String(),
  bytes: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  frame_width: Type.Optional(Type.Integer()),
  frame_height: Type.Optional(Type.Integer()),
  changed: Type.Boolean({ description: 'false when the same image was stored already' }),
});

export async function imageRoutes(app: App): Promise<void> {
  const images = app.images;
  // Raw bodies for this plugin only (other routes keep JSON only): the content type is not trusted, the bytes are.
  app.addContentTypeParser(
    ['image/jpeg', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: IMAGE_MAX_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.put(
    '/images/:kind/:uuid',
    {
      schema: {
        tags: ['images'],
        summary: "store an entity's preview image",
        description: `The JPEG EPU wrote beside the entity's manifest (\`image/jpeg\` body, at most ${IMAGE_MAX_BYTES} bytes, checked by its bytes: 415 otherwise); 404 when the entity does not exist, 503 when the backend has no image directory. Idempotent: the same bytes again change nothing.`,
        params,
        querystring: query,
        response: { 200: stored, ...problemRefs(400, 404, 413, 415, 503) },
      },
    },
    async (req) => {
      if (!images) throw new HttpError(503, 'this backend stores no images: set SMARTEM_IMAGE_DIR (or run it with a data directory)');
      const body = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(415, 'body: send the image as image/jpeg');
      if (!isJpeg(body) || !jpegSize(body)) throw new HttpError(415, 'body: not a JPEG image (no JPEG start and frame header)');
      const { kind, uuid } = req.params as { kind: ImageKind; uuid: string };
      await requireEntity(app.store, kind, uuid);
      const { frame_width, frame_height } = req.query;
      const frame = frame_width && frame_height ? { frame_width: Number(frame_width), frame_height: Number(frame_height) } : {};
      const { image, changed } = await images.put(kind, uuid, body, frame);
      return { kind, uuid, ...image, changed };
    },
  );

  app.get(
    '/images/:kind/:uuid',
    {
      schema: {
        tags: ['images'],
        summary: "read an entity's preview image",
        description:
          'The JPEG with an `ETag` (`If-None-Match` → 304) and `Cache-Control: no-cache`; `X-Frame-Width` / `X-Frame-Height` give the full image size the preview shows, when the agent knew it. 404 when there is none.',
        params,
        response: {
          200: { description: 'image/jpeg', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
          ...problemRefs(400, 404),
        },
      },
    },
    async (req, reply) => {
      const { kind, uuid } = req.params as { kind: ImageKind; uuid: string };
      const meta = images ? await images.meta(kind, uuid) : null;
      const bytes = meta ? await images!.read(kind, uuid) : null;
      if (!meta || !bytes) throw new HttpError(404, `no image for ${kind} ${uuid}`);
      reply.header('etag', meta.etag).header('cache-control', 'no-cache');
      if (meta.frame_width && meta.frame_height)
        reply.header('x-frame-width', meta.frame_width).header('x-frame-height', meta.frame_height);
      // Untyped: the typed reply knows JSON bodies only.
      const raw = reply as FastifyReply;
      if (req.headers['if-none-match'] === meta.etag) return raw.status(304).send();
      return raw.type('image/jpeg').send(bytes);
    },
  );
}
