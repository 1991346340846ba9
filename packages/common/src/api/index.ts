export * from './statuses.ts';
export * from './fields.ts';
export * from './entities.ts';
export * from './batch.ts';
export * from './problem.ts';
export * from './events.ts';
export * from './processing.ts';
export * from './instructions.ts';
