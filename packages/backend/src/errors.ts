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

/** A value its schema let through that cannot be stored (a day past the end of its month): 422 naming the field. */
export class InvalidFieldError extends Error {
  override name = 'InvalidFieldError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
