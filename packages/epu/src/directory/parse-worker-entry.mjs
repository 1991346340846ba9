// Worker thread entry: load the TypeScript sources through tsx (no build step), then start the parse worker.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker.ts');
