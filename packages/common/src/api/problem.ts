/**
 * Error bodies: RFC 9457 problem details, keeping the original's `detail` so its clients still read the message.
 * Body validation → 422 (as FastAPI did), batch body validation → 400, unknown resource or parent → 404, duplicate → 409.
 */
import { Type } from 'typebox';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: Array<{ field: string; message: string }>;
}

export const ProblemDetailsSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'ProblemDetails' },
);
