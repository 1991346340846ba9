/** One JSON request: a per-attempt timeout (joined with the caller's signal) and the answer's body parsed. */
export interface JsonRequest {
  method: string;
  /** Sent as JSON; bytes (`Uint8Array`) are sent as they are, with `contentType`. */
  body?: unknown;
  contentType?: string;
  /** Extra headers (e.g. `authorization`). */
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** The status and the body: parsed JSON, else the text itself, else undefined when empty. */
export async function fetchJson(url: string, r: JsonRequest): Promise<{ status: number; ok: boolean; body: unknown }> {
  const timeout = AbortSignal.timeout(r.timeoutMs);
  const signal = r.signal ? AbortSignal.any([timeout, r.signal]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', ...r.headers };
  const raw = r.body instanceof Uint8Array;
  if (r.body !== undefined) headers['content-type'] = r.contentType ?? (raw ? 'application/octet-stream' : 'application/json');
  const response = await (r.fetch ?? fetch)(url, {
    method: r.method,
    headers,
    body: r.body === undefined ? undefined : raw ? (r.body as Uint8Array) : JSON.stringify(r.body),
    signal,
  });
  const text = await response.text();
  let body: unknown;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, ok: response.ok, body };
}
