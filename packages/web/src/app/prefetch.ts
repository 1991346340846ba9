/** Reads `index.html` started before the bundle loaded (without a token), by path; each is used once, by the first to ask. */
export function prefetched(path: string): Promise<Response> | undefined {
  const started = (window as { __smartemPrefetch?: Record<string, Promise<Response>> }).__smartemPrefetch;
  const response = started?.[path];
  if (response) delete started[path];
  return response;
}
