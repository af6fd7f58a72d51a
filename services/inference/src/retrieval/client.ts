// The retrieval service over gRPC. Its failures become the request's: a retrieval that is down
// or slow is UNAVAILABLE (the caller may retry; an answer without the function's context would
// not be the function's answer), a collection that is missing or refuses the function's
// settings is FAILED_PRECONDITION, naming the collection.
import * as grpc from '@grpc/grpc-js';
import { retrieval } from '@keel/contracts';
import { FailedPreconditionError, type KeelError, UnavailableError } from '@keel/errors';
import { context, propagation } from '@opentelemetry/api';
import type { CallerAuthorization, PassageQuery, RetrievalService } from '../domain/retrieval';
import type { Passage } from '../domain/retrieved-context';

const TRANSIENT = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
]);

export class RetrievalClient implements RetrievalService {
  private readonly client: retrieval.RetrievalServiceClient;

  constructor(
    address: string,
    /** The longest one call may take, within the caller's own deadline. */
    private readonly timeoutMs: number,
  ) {
    this.client = new retrieval.RetrievalServiceClient(address, grpc.credentials.createInsecure());
  }

  async retrieve(
    query: PassageQuery,
    auth: CallerAuthorization,
    deadline: number,
  ): Promise<Passage[]> {
    const request = retrieval.RetrieveRequest.fromPartial({
      tenantId: query.tenantId,
      collectionName: query.collection,
      query: query.query,
      topK: query.topK,
      filter: query.filter,
    });
    const response = await this.call<retrieval.RetrieveResponse>(
      `retrieving from collection '${query.collection}'`,
      auth,
      deadline,
      (metadata, options, callback) => this.client.retrieve(request, metadata, options, callback),
    );
    return response.chunks.map((scored) => ({
      chunkId: scored.chunk?.chunkId ?? '',
      text: scored.chunk?.text ?? '',
    }));
  }

  async embed(
    tenantId: string,
    text: string,
    auth: CallerAuthorization,
    deadline: number,
  ): Promise<{ model: string; vector: Float32Array }> {
    const request = retrieval.EmbedRequest.fromPartial({ tenantId, texts: [text] });
    const response = await this.call<retrieval.EmbedResponse>(
      'embedding the request',
      auth,
      deadline,
      (metadata, options, callback) => this.client.embed(request, metadata, options, callback),
    );
    const values = response.embeddings[0]?.values;
    if (!values) throw new UnavailableError('retrieval returned no embedding for the request');
    return { model: response.model, vector: Float32Array.from(values) };
  }

  close(): void {
    this.client.close();
  }

  private call<Res>(
    what: string,
    auth: CallerAuthorization,
    deadline: number,
    invoke: (
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, response: Res) => void,
    ) => void,
  ): Promise<Res> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', auth);
    propagation.inject(context.active(), metadata, {
      set: (carrier, key, value) => carrier.set(key, value),
    });
    const options = { deadline: Math.min(deadline, Date.now() + this.timeoutMs) };
    return new Promise((resolve, reject) =>
      invoke(metadata, options, (error, response) =>
        error ? reject(failureOf(what, error)) : resolve(response),
      ),
    );
  }
}

function failureOf(what: string, error: grpc.ServiceError): KeelError {
  const message = `${what} failed: retrieval answered ${grpc.status[error.code]} (${error.details})`;
  return TRANSIENT.has(error.code)
    ? new UnavailableError(message, { cause: error })
    : new FailedPreconditionError(message, { cause: error });
}
