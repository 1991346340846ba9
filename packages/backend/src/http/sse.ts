/** Server-Sent Events on a hijacked fastify reply: the headers, and one `id`/`event`/`data` event per write. */
import type { FastifyReply } from 'fastify';

export type SseWrite = (event: string, data: unknown, id?: string | number) => void;

/** Takes the response over from fastify and opens the event stream; `retryMs` tells EventSource when to reconnect. */
export function startSse(reply: FastifyReply, retryMs?: number): SseWrite {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  if (retryMs !== undefined) raw.write(`retry: ${retryMs}\n\n`);
  return (event, data, id) => {
    if (!raw.writableEnded) raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
}
