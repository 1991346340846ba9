// Responses of the backend that are not entities; the entity vocabulary (bodies, records, kinds, batch shapes) is
// `@smartem/common`'s.

export interface StatusResponse {
  status: string;
  service?: string;
  version?: string;
  [key: string]: unknown;
}
