export * from './types.ts';
export * from './errors.ts';
export * from './backoff.ts';
export * from './http.ts';
export * from './client.ts';
export * from './auth.ts';
export * from './sse.ts';
export * from './fetch-json.ts';
