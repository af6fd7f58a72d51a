// gRPC clients of the router, inference and billing services, with the caller's API key attached.
import * as grpc from '@grpc/grpc-js';
import { billing, inference, router } from '@keel/contracts';
import { context, propagation } from '@opentelemetry/api';

type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;

/**
 * Runs one callback-style unary call as a promise, with the API key as metadata, and the
 * active trace's context (`traceparent`), so the server's span continues the caller's trace.
 */
export function call<Res>(
  apiKey: string,
  invoke: (metadata: grpc.Metadata, callback: Callback<Res>) => void,
): Promise<Res> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${apiKey}`);
  propagation.inject(context.active(), metadata, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
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

export function billingClient(address: string): billing.BillingServiceClient {
  return new billing.BillingServiceClient(address, grpc.credentials.createInsecure());
}
