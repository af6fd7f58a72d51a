import { status } from '@grpc/grpc-js';
import { isKeelError, type ErrorKind } from '@keel/errors';

const statusOfKind: Record<ErrorKind, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
};

/**
 * The gRPC status a caller sees for an error: Keel's errors carry a message meant for the
 * caller; anything else is a fault of ours, whose message and stack stay in the server's logs.
 */
export function toStatus(error: unknown): { code: status; details: string } {
  if (isKeelError(error)) return { code: statusOfKind[error.kind], details: error.message };
  return { code: status.INTERNAL, details: 'internal error' };
}
