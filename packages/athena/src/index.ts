export * from './schemas.ts';
export * from './errors.ts';
export * from './decision-values.ts';
export { AthenaClient, type AthenaClientOptions, type CallOptions, type DecisionQuery } from './client.ts';
export { athenaOpenApiDocument, API_PREFIX, type OpenApiDocument, type OpenApiOperation, type OpenApiParameter } from './openapi.ts';
