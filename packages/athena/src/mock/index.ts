export { startAthenaMock, type AthenaMock, type AthenaMockOptions, type RecordedRequest } from './server.ts';
export { readOpenApiDocument } from './document-file.ts';
export { OpenApiValidator, type OpenApiLike } from './openapi-validator.ts';
export { AthenaService } from './service.ts';
