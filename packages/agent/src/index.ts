/** @smartem/agent — EPU intake: parse, validate and watch. The command-line registration is `@smartem/agent/cli`. */
export { startWatch, type WatchHandle } from './watch/watch.ts';
export { statusLine } from './watch/progress.ts';
