// gRPC clients of the router and inference services, with the caller's API key attached.
import * as grpc from '@grpc/grpc-js';
import { inference, router } from '@keel/contracts';

type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;

/** Runs one callback-style unary call as a promise, with the API key as metadata. */
export function call<Res>(
  apiKey: string,
  invoke: (metadata: grpc.Metadata, callback: Callback<Res>) => void,
): Promise<Res> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${apiKey}`);
  return new Promise((resolve, reject) =>
    invoke(metadata, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

export function routerClient(address: string): router.RouterServiceClient {
  return new router.RouterServiceClient(address, grpc.credentials.createInsecure());
}

export function inferenceClient(address: string): inference.InferenceServiceClient {
  return new inference.InferenceServiceClient(address, grpc.credentials.createInsecure());
}
