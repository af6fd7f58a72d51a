// The LLM judge's calls, through Keel's own inference API with the tenant's judge key: billed
// like any call, tagged `keel.judge` so that evaluation never evaluates the judge's answer, and
// keyed for idempotency by the judged inference, so a redelivery is answered (and billed) once.
import * as grpc from '@grpc/grpc-js';
import { inference } from '@keel/contracts';
import { FailedPreconditionError, UnavailableError } from '@keel/errors';
import type { JudgeClient, JudgeRequest, JudgeVerdict } from '@keel/evaluators';
import { call, inferenceClient } from '@keel/kit';
import type { JudgeKeys } from './judge-keys';

/** The tag on a judge's own inference; evaluation skips inferences that carry it. */
export const JUDGE_TAG = 'keel.judge';

/** Statuses after which the same call may succeed later: the message is retried. */
const TRANSIENT = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
]);

export class InferenceJudges {
  private readonly client: inference.InferenceServiceClient;

  constructor(
    address: string,
    private readonly keys: JudgeKeys,
    private readonly timeoutMs: number,
  ) {
    this.client = inferenceClient(address);
  }

  /** The judge that calls with `tenantId`'s key. */
  forTenant(tenantId: string): JudgeClient {
    return { judge: (request) => this.judge(tenantId, request) };
  }

  close(): void {
    this.client.close();
  }

  private async judge(tenantId: string, request: JudgeRequest): Promise<JudgeVerdict> {
    const key = this.keys.get(tenantId);
    if (!key) {
      throw new FailedPreconditionError(
        `no judge key for tenant '${tenantId}' in KEEL_JUDGE_KEYS_FILE`,
      );
    }
    const completeRequest = inference.CompleteRequest.fromPartial({
      functionName: request.functionName,
      model: request.model,
      messages: request.messages,
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      tags: { [JUDGE_TAG]: '1', 'keel.judge.inference_id': request.inferenceId },
      idempotencyKey: `${JUDGE_TAG}:${request.inferenceId}`,
    });
    const deadline = new Date(Date.now() + this.timeoutMs);
    try {
      const response = await call<inference.CompleteResponse>(key, (metadata, callback) =>
        this.client.complete(completeRequest, metadata, { deadline }, callback),
      );
      return { text: response.text };
    } catch (error) {
      const failure = error as grpc.ServiceError;
      const what = `the judge call (function '${request.functionName}') failed: ${failure.details ?? failure.message}`;
      if (TRANSIENT.has(failure.code)) throw new UnavailableError(what, { cause: error });
      throw new FailedPreconditionError(what, { cause: error });
    }
  }
}
