// Complete: validate → route from the local policy snapshot (and the guardrails' limits) →
// guard the input → claim the idempotency key → admit (room in the publish backlog) → exact
// cache (a hit is recorded and answered) → call the chain → guard the output → publish
// InferenceCompleted → store the answer in the cache → answer (or the fallback answer).
// The answer waits for JetStream's acknowledgement, so an inference a caller was answered is
// never unrecorded.
import { inference } from '@keel/contracts';
import type { UnaryContext } from '@keel/kit';
import { uuidv7 } from 'uuidv7';
import { completeResponse, unservedError, unservedStatus } from '../domain/answer';
import { runChain } from '../domain/fallback';
import { modelRequestOf } from '../domain/parameters';
import { fallbackResponse, nothingCalled } from '../guardrails/fallback';
import { lookUpCache, recordCacheHit } from './cache';
import type { InferenceDependencies } from './deps';
import { callerEnd, keepForRepeats, prepare, publishCompleted, releaseClaim } from './shared';

const { INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

export function complete(deps: InferenceDependencies) {
  return async (
    request: inference.CompleteRequest,
    context: UnaryContext,
  ): Promise<inference.CompleteResponse> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    const { signal, deadline, trailers } = context;
    const { tenantId, route, guard, admission, claim } = await prepare(
      deps,
      request,
      context,
      false,
    );
    if (claim.kind === 'replay') return { ...claim.response, idempotentReplay: true };

    const call = { inferenceId, tenantId, request, route, guard, started, trailers };
    try {
      deps.publisher.admit();
      // A blocked input calls no model and reads no cache.
      const cache = guard.inputBlock ? null : await lookUpCache(deps, tenantId, route, request);
      if (cache?.hit) {
        const response = await recordCacheHit(deps, call, cache.hit, false);
        await keepForRepeats(claim, response, deps.logger);
        return response;
      }
      const asked = modelRequestOf(
        { ...request, messages: guard.upstreamMessages },
        route.maxTokens,
      );
      const outcome = guard.inputBlock
        ? nothingCalled()
        : await runChain(route.chain, (model, retried) =>
            deps.providers.complete(model, asked, { signal, deadline, retried }),
          );
      const { served, attempts } = outcome;
      admission.chargeOutput(attempts);
      const end = callerEnd(signal, deadline);
      const ending = guard.ending(served, end);
      const event = await publishCompleted(deps, call, {
        outcome,
        status: ending.failed ? FAILED : served ? undefined : unservedStatus(end),
        output: ending.output,
        fallbackAnswer: ending.fallbackText !== null,
      });
      if (ending.fallbackText !== null) {
        const response = fallbackResponse(
          inferenceId,
          route.decision,
          ending.fallbackText,
          outcome,
        );
        await keepForRepeats(claim, response, deps.logger);
        return response;
      }
      if (ending.block) throw ending.block;
      if (!served) throw unservedError(attempts, end);
      if (cache) await deps.cache.keep(cache.plan, event);

      const response = completeResponse(inferenceId, route.decision, served, outcome);
      await keepForRepeats(claim, guard.forRepeats(response), deps.logger);
      return response;
    } catch (error) {
      await releaseClaim(claim, inferenceId, deps.logger);
      throw error;
    }
  };
}
