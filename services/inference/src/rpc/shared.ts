// The pieces of Complete and Stream that do not depend on how the answer is delivered.
import type { Metadata } from '@grpc/grpc-js';
import type { inference } from '@keel/contracts';
import { type CallContext, type Principal, cancelledByCaller } from '@keel/kit';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { CallerEnd } from '../domain/answer';
import { type Logger, currentTraceId } from '@keel/telemetry';
import { requiredCapabilities } from '../domain/capabilities';
import { type CompletedInference, completedEvent } from '../domain/completed-event';
import { requestHash } from '../domain/idempotency';
import { validateParameters } from '../domain/parameters';
import { type Route, routeRequest } from '../domain/route';
import { validateReference } from '../domain/reference';
import { validateMessages } from '../domain/validate';
import { noGuardrails } from '../guardrails/effective';
import { RequestGuard } from '../guardrails/request-guard';
import type { Reservation } from '../budget/budgeter';
import { reserveBudget } from '../budget/step';
import type { Admission } from '../rate-limit/limiter';
import { rateLimit } from '../rate-limit/step';
import type { Claim, OwnedClaim } from '../store/idempotency-claims';
import type { InferenceDependencies } from './deps';

/**
 * The trailing metadata key that carries the inference id once the inference is recorded, so a
 * caller answered with an error (UNAVAILABLE after every model failed) can find it too.
 */
export const INFERENCE_ID_TRAILER = 'keel-inference-id';

function tenantOf(principal: Principal | null): string {
  if (!principal) throw new Error('InferenceService must be bound with the inference scope');
  return principal.tenantId;
}

/**
 * The steps before any model is called, the same for both RPCs: validate the request, route it
 * from the local policy snapshot, hold it to its rate limits, reserve its maximum cost against
 * its budgets (which may downgrade its route), examine its input under the function's
 * guardrails, and claim its idempotency key (a replay ends the request).
 */
export async function prepare(
  deps: InferenceDependencies,
  request: inference.CompleteRequest,
  { principal, signal, deadline, trailers }: CallContext,
  streamed: boolean,
): Promise<{
  tenantId: string;
  route: Route;
  guard: RequestGuard;
  admission: Admission;
  reservation: Reservation;
  claim: Claim;
}> {
  const tenantId = tenantOf(principal);
  // The request is routed, priced and billed by the catalog in effect now, as it starts.
  const startedAt = new Date();
  validateMessages(request.messages, deps.limits);
  validateReference(request.reference, deps.limits.maxInputChars);
  validateParameters(request);
  const needs = requiredCapabilities(request, streamed);
  const routed = await step('route', () =>
    routeRequest(deps.follower.policy, tenantId, request, needs, startedAt),
  );
  const admission = await step('rate-limit', () =>
    rateLimit(deps.rateLimiter, deps.follower.policy, routed, tenantId, trailers),
  );
  const { route, reservation } = await step('budget', () =>
    reserveBudget(deps.budgeter, deps.follower.policy, tenantId, routed, request, needs, startedAt),
  );
  try {
    const guard = noGuardrails(route.guardrails)
      ? new RequestGuard(route.guardrails, request.messages)
      : await step('guardrails', async () => new RequestGuard(route.guardrails, request.messages));
    const claim = await step('idempotency', () =>
      deps.claims.claim(tenantId, request.idempotencyKey, requestHash(request), {
        signal,
        deadline,
      }),
    );
    return { tenantId, route, guard, admission, reservation, claim };
  } catch (error) {
    // Refused before any model was called: the request spends nothing of its budgets.
    reservation.release();
    throw error;
  }
}

/** What every InferenceCompleted of one request carries, whatever ended it. */
export interface RecordedRequest {
  inferenceId: string;
  tenantId: string;
  request: inference.CompleteRequest;
  route: Route;
  guard: RequestGuard;
  /** performance.now() when the request arrived. */
  started: number;
  trailers: Metadata;
}

/** How the request ended: the parts of its InferenceCompleted that differ from one end to another. */
export type RequestEnding = Pick<
  CompletedInference,
  | 'outcome'
  | 'status'
  | 'output'
  | 'fallbackAnswer'
  | 'streamed'
  | 'timeToFirstTokenMs'
  | 'cacheHit'
  | 'retrieval'
>;

/**
 * Publishes the request's InferenceCompleted (its messages and answer as the guardrails record
 * them) and names the inference in the trailing metadata; returns the event.
 */
export async function publishCompleted(
  deps: InferenceDependencies,
  call: RecordedRequest,
  ending: RequestEnding,
): Promise<inference.InferenceCompleted> {
  const { request, guard } = call;
  const event = completedEvent({
    inferenceId: call.inferenceId,
    tenantId: call.tenantId,
    messages: guard.recordedMessages,
    tags: request.tags,
    episodeId: request.episodeId,
    reference: request.reference,
    decision: call.route.decision,
    downgradedByBudget: call.route.downgradedByBudget,
    guardrails: guard.guardrailReport(),
    latencyMs: performance.now() - call.started,
    traceId: currentTraceId(),
    occurredAt: new Date(),
    ...ending,
  });
  await deps.publisher.publish(event);
  call.trailers.set(INFERENCE_ID_TRAILER, call.inferenceId);
  return event;
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

/** What a call to another service on the caller's behalf carries: its credentials and deadline. */
export function callerOf(context: CallContext): { authorization: string; deadline: number } {
  const [authorization] = context.metadata.get('authorization');
  return { authorization: String(authorization ?? ''), deadline: context.deadline };
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
