import { status } from '@grpc/grpc-js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from '@keel/errors';
import { toStatus } from './status';

describe('toStatus', () => {
  it.each([
    [new InvalidArgumentError('messages', 'must not be empty'), status.INVALID_ARGUMENT],
    [new UnauthenticatedError('unknown or revoked API key'), status.UNAUTHENTICATED],
    [new PermissionDeniedError("this API key lacks the 'admin' scope"), status.PERMISSION_DENIED],
    [new NotFoundError('no inference 0190'), status.NOT_FOUND],
    [new AlreadyExistsError('tenant acme exists'), status.ALREADY_EXISTS],
    [new FailedPreconditionError('no policy snapshot yet'), status.FAILED_PRECONDITION],
    [new ResourceExhaustedError('rate limit: 10 requests/s'), status.RESOURCE_EXHAUSTED],
    [new UnavailableError('every model in the chain failed'), status.UNAVAILABLE],
  ])('maps %s to its status with its message', (error, code) => {
    expect(toStatus(error)).toEqual({ code, details: error.message });
  });

  it("names the field of an invalid argument: 'field: problem'", () => {
    expect(toStatus(new InvalidArgumentError('messages', 'must not be empty'))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'messages: must not be empty',
    });
  });

  it.each([
    ['an Error', new Error('connection string mongodb://user:password@db')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['a gRPC-like object', { code: status.NOT_FOUND, details: 'from downstream' }],
  ])('hides %s behind INTERNAL', (_label, error) => {
    expect(toStatus(error)).toEqual({ code: status.INTERNAL, details: 'internal error' });
  });
});
