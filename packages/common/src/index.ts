export * from './log.ts';
export * from './api/index.ts';
export * from './config.ts';
export * from './cli-guard.ts';
export * from './version.ts';
