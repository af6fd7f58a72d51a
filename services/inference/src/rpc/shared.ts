// The pieces of Complete and Stream that touch neither the request nor its delivery.
import type { inference } from '@keel/contracts';
import { type Principal, cancelledByCaller } from '@keel/kit';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { CallerEnd } from '../domain/answer';
import type { Logger } from '@keel/telemetry';
import type { OwnedClaim } from '../store/idempotency-claims';

/**
 * The trailing metadata key that carries the inference id once the inference is recorded, so a
 * caller answered with an error (UNAVAILABLE after every model failed) can find it too.
 */
export const INFERENCE_ID_TRAILER = 'keel-inference-id';

export function tenantOf(principal: Principal | null): string {
  if (!principal) throw new Error('InferenceService must be bound with the inference scope');
  return principal.tenantId;
}

/**
 * Stores the answer for repeats of its idempotency key. The inference is recorded and billed
 * by now, so a failure to store it does not fail the call: a repeat runs as a new request.
 */
export async function keepForRepeats(
  claim: OwnedClaim,
  answer: inference.CompleteResponse,
  logger: Logger,
): Promise<void> {
  try {
    await claim.answered(answer);
  } catch (error) {
    logger.error(
      { inference_id: answer.inferenceId, err: error },
      'the answer could not be stored for repeats of its idempotency key',
    );
  }
}

/** Frees the idempotency key of a request that failed; an unfreed key frees at its lease's end. */
export async function releaseClaim(
  claim: OwnedClaim,
  inferenceId: string,
  logger: Logger,
): Promise<void> {
  try {
    await claim.release();
  } catch (error) {
    logger.error(
      { inference_id: inferenceId, err: error },
      'the idempotency key of a failed request could not be released; it frees when its lease ends',
    );
  }
}

/** Whether the caller cancelled, or its deadline passed, by now. */
export function callerEnd(signal: AbortSignal, deadline: number): CallerEnd {
  if (cancelledByCaller(signal)) return 'cancelled';
  return signal.aborted || Date.now() >= deadline ? 'deadline' : null;
}

const tracer = trace.getTracer('@keel/inference');

/**
 * Runs one step of the request path in a span of its own (`keel.inference.<name>`), so a trace
 * shows where a slow request spent its time before any model was called.
 */
export function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(`keel.inference.${name}`, async (span) => {
    try {
      return await run();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
