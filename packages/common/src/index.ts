export * from './log.ts';
export * from './api/index.ts';
export * from './config.ts';
export * from './cli-guard.ts';
export * from './lock.ts';
export * from './rng.ts';
export * from './csv.ts';
export * from './version.ts';
