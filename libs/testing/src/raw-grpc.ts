// A unary gRPC call with the request as raw bytes: for requests no generated client would
// encode (invalid UTF-8, for one).
import * as grpc from '@grpc/grpc-js';

const passThrough = (bytes: Buffer) => bytes;

/** Calls `path` (`/package.Service/Method`) at `address` with `request` as the message bytes. */
export function callWithBytes(
  address: string,
  path: string,
  request: Buffer,
  metadata = new grpc.Metadata(),
): Promise<Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(path, passThrough, passThrough, request, metadata, (error, response) =>
      error ? reject(error) : resolve(response as Buffer),
    );
  }).finally(() => client.close());
}
