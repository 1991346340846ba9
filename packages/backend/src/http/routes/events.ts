/**
 * `GET /events/stream`: the dashboard's live feed (Server-Sent Events) of every change the backend writes — entities
 * created, updated or deleted, processing results — as the outbox records them, and the instructions written for agents
 * and their status changes (a trigger on `agentinstruction`, migration 0009), optionally for one grid. Resumes from
 * `Last-Event-ID` (or `?last_event_id=`) within the kept window (`KEEP_MS`); older, it says `reset`.
 */
import { Type } from 'typebox';
import type { App } from '../app.ts';
import { HttpError } from '../errors.ts';
import { sseClientConnected } from '../../metrics.ts';
import { formatPosition, LIVE_CHANNEL, pruneLiveEvents } from '../../repositories/live-events.ts';
import { openLiveStream } from '../../services/live.ts';
import { createNotifyFeed } from '../../services/notify-feed.ts';
import { startSse } from '../sse.ts';

/** How long the change log keeps an event, so a reconnection within it loses nothing. */
const KEEP_MS = 15 * 60_000;
const PRUNE_EVERY_MS = 60_000;
/** Events a running transaction held back are looked for this often (a notification wakes the stream otherwise). */
const POLL_MS = 1000;
/** What EventSource waits before reconnecting. */
const RETRY_MS = 1000;

export async function eventRoutes(app: App): Promise<void> {
  const db = app.store.db;
  const feed = app.databaseListen ? createNotifyFeed(app.databaseListen, LIVE_CHANNEL) : undefined;
  const pruner = setInterval(() => {
    pruneLiveEvents(db, KEEP_MS).catch((error: unknown) => app.log.warn({ error }, 'pruning the change log failed'));
  }, PRUNE_EVERY_MS);
  pruner.unref();
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.addHook('onClose', async () => {
    clearInterval(pruner);
    await feed?.close();
  });

  app.get(
    '/events/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Stream changes to the dashboard (Server-Sent Events)',
        description:
          'Events: `connection` once (`from`: `new`, `resumed` from Last-Event-ID, or `reset` when that event is no longer kept — reload what you show), `change` for every event the backend writes (entity `.created`/`.updated`/`.deleted`, `decision.updated` after a processing result, `instruction.created`/`instruction.updated` when an instruction for an agent is written or its status changes — acknowledged, approved, declined) with its payload and the `grid_uuid`/`gridsquare_uuid` it concerns, `heartbeat` every few seconds. SSE ids are `<transaction>-<id>`, in increasing order; send the last one as `Last-Event-ID` to resume.',
        querystring: Type.Object(
          {
            grid_uuid: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 200,
                description: 'only changes of this grid (and deletions, whose grid is unknown)',
              }),
            ),
            last_event_id: Type.Optional(
              Type.String({ maxLength: 64, description: 'resume after this event when the Last-Event-ID header is absent' }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      if (!feed) throw new HttpError(503, 'event streams need the database listener (start the backend with it)');
      const header = req.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header) || req.query.last_event_id;
      let write: ReturnType<typeof startSse> | undefined;
      const stream = await openLiveStream({
        db,
        feed,
        lastEventId,
        gridUuid: req.query.grid_uuid,
        pollMs: POLL_MS,
        send: (event) =>
          write?.(
            'change',
            { event_type: event.event_type, grid_uuid: event.grid_uuid, gridsquare_uuid: event.gridsquare_uuid, payload: event.payload },
            formatPosition(event.position),
          ),
        onError: (error) => req.log.warn({ error }, 'reading the change log failed; the next wake retries'),
      });
      write = startSse(reply, RETRY_MS);
      write(
        'connection',
        { from: stream.from, grid_uuid: req.query.grid_uuid ?? null },
        stream.start ? formatPosition(stream.start) : '0-0',
      );
      stream.wake();
      const timer = setInterval(() => write('heartbeat', { timestamp: new Date().toISOString() }), app.instructionHeartbeatMs);
      const closed = sseClientConnected(req.routeOptions.url ?? 'unmatched');
      const end = (): void => {
        open.delete(end);
        closed();
        clearInterval(timer);
        stream.close();
        reply.raw.end();
      };
      open.add(end);
      req.raw.once('close', end);
    },
  );
}
