/** A file that cannot be turned into a complete record: empty, truncated, not well-formed, wrong root, missing field. */
export class EpuParseError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
    this.name = 'EpuParseError';
    this.path = path;
    this.reason = reason;
  }
}
