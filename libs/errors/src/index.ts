// Keel's error classes. Each names one kind of failure; @keel/kit maps them to gRPC status
// codes in one place, and consumers use them to decide between retrying and setting aside.

export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED';

export abstract class KeelError extends Error {
  abstract readonly kind: ErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is wrong and retrying it unchanged cannot help. */
export class InvalidArgumentError extends KeelError {
  readonly kind = 'INVALID_ARGUMENT';

  constructor(
    /** The request field at fault, e.g. `messages[0].content`. */
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export class UnauthenticatedError extends KeelError {
  readonly kind = 'UNAUTHENTICATED';
}

export class PermissionDeniedError extends KeelError {
  readonly kind = 'PERMISSION_DENIED';
}

export class NotFoundError extends KeelError {
  readonly kind = 'NOT_FOUND';
}

export class AlreadyExistsError extends KeelError {
  readonly kind = 'ALREADY_EXISTS';
}

/** The system is not in a state to serve the request yet (e.g. no snapshot received). */
export class FailedPreconditionError extends KeelError {
  readonly kind = 'FAILED_PRECONDITION';
}

/** A rate limit or budget refuses the request. */
export class ResourceExhaustedError extends KeelError {
  readonly kind = 'RESOURCE_EXHAUSTED';
}

/** A dependency failed; the same request may succeed later. */
export class UnavailableError extends KeelError {
  readonly kind = 'UNAVAILABLE';
}

/** The caller's deadline passed before the work was done. */
export class DeadlineExceededError extends KeelError {
  readonly kind = 'DEADLINE_EXCEEDED';
}

/** The caller went away (cancelled the call) before the work was done. */
export class CancelledError extends KeelError {
  readonly kind = 'CANCELLED';
}

export function isKeelError(error: unknown): error is KeelError {
  return error instanceof KeelError;
}
