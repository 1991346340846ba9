export * from './log.ts';
export * from './api/index.ts';
