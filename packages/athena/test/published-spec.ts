/** The published Decision Service document, read in place from `../shared` beside the repository when present. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenApiLike } from '../src/mock/openapi-validator.ts';

export const publishedSpecPath = fileURLToPath(
  new URL('../../../../shared/reference/athena/decision-service-openapi.json', import.meta.url),
);

export const SKIP_REASON = `the published Decision Service document is not at ${publishedSpecPath}`;

export function loadPublishedSpec(): (OpenApiLike & { components: { schemas: Record<string, unknown> } }) | undefined {
  if (!existsSync(publishedSpecPath)) return undefined;
  return JSON.parse(readFileSync(publishedSpecPath, 'utf8'));
}
