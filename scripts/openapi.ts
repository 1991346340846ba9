/** `npm run openapi`: writes docs/openapi.json from the schemas the API serves. */
import { writeFileSync } from 'node:fs';
import { formatOpenApi, openApiDocument } from '../packages/backend/src/runtime/openapi.ts';

const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, formatOpenApi(await openApiDocument()));
process.stdout.write(`wrote ${target.pathname}\n`);
