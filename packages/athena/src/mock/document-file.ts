import { readFileSync } from 'node:fs';
import { OpenApiValidator, type OpenApiLike } from './openapi-validator.ts';

/** Reads an OpenAPI 3.0 document from a JSON file; errors name the file and what is wrong with it. */
export function readOpenApiDocument(file: string): OpenApiLike {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the OpenAPI document ${file}: ${(err as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  try {
    OpenApiValidator.checkDocument(document);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  return document;
}
