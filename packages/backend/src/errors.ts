/**
 * Failures the services and repositories report in the domain's words; the HTTP layer maps them onto 404 and 409
 * (`http/errors.ts`), other callers read the message.
 */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}

export const notFound = (detail: string) => new NotFoundError(detail);
export const conflict = (detail: string) => new ConflictError(detail);
