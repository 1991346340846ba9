// The EPU session simulator: complete visits in EPU's own file formats, at any scale, at once or over time.
export { generateVisit, type GenerateOptions } from './generate.ts';
export { playVisit, type PlayOptions, type PlaySummary, type PlayEvent } from './play.ts';
export type { GeneratedVisit, GeneratedGrid, VisitCounts } from './summary.ts';
export { buildVisit, type VisitOptions } from './model.ts';
export { summarise } from './summary.ts';
export { GROUND_TRUTH_FILE, GROUND_TRUTH_HEADER } from './ground-truth.ts';
export * from './fsrecorder/index.ts';
export { isGood, truthSquareOf, type HoleTruth } from './acquisition/truth.ts';
export type { AcquisitionSummary } from './acquisition/acquire.ts';
export { DEFAULT_FEEDBACK_DELAY_MS, type FeedbackSummary } from './acquisition/feedback.ts';
