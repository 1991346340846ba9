/**
 * Server-Sent Events over fetch: the event-stream format parsed from a response body (`id`, `event`, `data` fields,
 * comments ignored, multi-line data joined), and one connection to a stream URL sending `Last-Event-ID`.
 */
import { ApiError, ApiUnreachableError } from './errors.ts';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** The events of an event-stream body, as they arrive. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: { id?: string; event?: string; data: string[] } = { data: [] };
  // A reader, not `for await`: browsers without async iteration of streams (the dashboard reads its live stream here).
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) return;
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (event.data.length > 0 || event.event) yield { id: event.id, event: event.event ?? 'message', data: event.data.join('\n') };
          event = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') event.data.push(value);
        else if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
      }
    }
  } finally {
    // As `for await` would: a consumer that stops early cancels the body.
    reader.cancel().catch(() => {});
  }
}

export interface SseConnectOptions {
  url: string;
  headers?: Record<string, string>;
  lastEventId?: string;
  signal?: AbortSignal;
}

/** Opens the stream; rejects with ApiError for an HTTP error answer and ApiUnreachableError when nothing answers. */
export async function connectSse(opts: SseConnectOptions): Promise<AsyncGenerator<SseEvent>> {
  let response: Response;
  try {
    response = await fetch(opts.url, {
      headers: { Accept: 'text/event-stream', ...opts.headers, ...(opts.lastEventId ? { 'Last-Event-ID': opts.lastEventId } : {}) },
      signal: opts.signal,
    });
  } catch (error) {
    if (opts.signal?.aborted) throw error;
    throw new ApiUnreachableError('GET', opts.url, error);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    throw new ApiError('GET', opts.url, response.status, text);
  }
  return readSse(response.body);
}
