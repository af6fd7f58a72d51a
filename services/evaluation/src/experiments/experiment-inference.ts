// An experiment's calls, through Keel's own inference API with the key of the caller who started
// it (held in memory for the run, never stored): billed and rate-limited as that caller's, and
// tagged so that the evaluation pipeline leaves them to the experiment.
import type * as grpc from '@grpc/grpc-js';
import type { inference } from '@keel/contracts';
import { UnauthenticatedError } from '@keel/errors';
import { call, inferenceClient } from '@keel/kit';

/** The tags of an experiment's inference; evaluation's pipeline skips inferences that carry one. */
export const EXPERIMENT_TAG = 'keel.experiment_id';
export const EXAMPLE_TAG = 'keel.example_id';

/** The API key of an `authorization: Bearer <key>` header. */
export function apiKeyOf(metadata: grpc.Metadata): string {
  const header = String(metadata.get('authorization')[0] ?? '');
  const bearer = /^Bearer (\S+)$/i.exec(header.trim());
  if (!bearer) throw new UnauthenticatedError('missing authorization header');
  return bearer[1];
}

export class ExperimentInference {
  private readonly client: inference.InferenceServiceClient;

  constructor(
    address: string,
    private readonly timeoutMs: number,
  ) {
    this.client = inferenceClient(address);
  }

  /**
   * The answer and how long the caller waited for it; rejects with the call's gRPC error. The
   * call is cancelled when `signal` aborts (the service stopping).
   */
  async complete(
    apiKey: string,
    request: inference.CompleteRequest,
    signal: AbortSignal,
  ): Promise<{ response: inference.CompleteResponse; latencyMs: number }> {
    const deadline = new Date(Date.now() + this.timeoutMs);
    const started = performance.now();
    let pending: grpc.ClientUnaryCall | undefined;
    const cancel = () => pending?.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const response = await call<inference.CompleteResponse>(apiKey, (metadata, callback) => {
        pending = this.client.complete(request, metadata, { deadline }, callback);
      });
      return { response, latencyMs: performance.now() - started };
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  close(): void {
    this.client.close();
  }
}
