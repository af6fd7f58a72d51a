// Complete: validate → route from the local policy snapshot (and the guardrails' limits) →
// guard the input → claim the idempotency key → admit (room in the publish backlog) → exact
// cache, then semantic cache (a hit is recorded and answered) → retrieve the function's context
// → call the chain → guard the output → publish InferenceCompleted → store the answer in the
// caches → answer (or the fallback answer).
// The answer waits for JetStream's acknowledgement, so an inference a caller was answered is
// never unrecorded.
import { inference } from '@keel/contracts';
import type { UnaryContext } from '@keel/kit';
import { uuidv7 } from 'uuidv7';
import { completeResponse, unservedError, unservedStatus } from '../domain/answer';
import { runChain } from '../domain/fallback';
import { modelRequestOf } from '../domain/parameters';
import { fallbackResponse, nothingCalled } from '../guardrails/fallback';
import { withContext } from '../domain/retrieved-context';
import { lookUpCache, recordCacheHit } from './cache';
import { retrieveContext } from './retrieve';
import { keepSemantic, lookUpSemanticCache } from './semantic-cache';
import type { InferenceDependencies } from './deps';
import {
  callerEnd,
  callerOf,
  keepForRepeats,
  prepare,
  publishCompleted,
  releaseClaim,
} from './shared';

const { INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;

export function complete(deps: InferenceDependencies) {
  return async (
    request: inference.CompleteRequest,
    context: UnaryContext,
  ): Promise<inference.CompleteResponse> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    const { signal, deadline, trailers } = context;
    const { tenantId, route, guard, admission, reservation, claim } = await prepare(
      deps,
      request,
      context,
      false,
    );
    if (claim.kind === 'replay') {
      reservation.release();
      return { ...claim.response, idempotentReplay: true };
    }

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
      const caller = callerOf(context);
      const semantic = guard.inputBlock
        ? null
        : await lookUpSemanticCache(deps, tenantId, route, request, guard, caller);
      if (semantic?.hit) {
        const response = await recordCacheHit(deps, call, semantic.hit, false);
        await keepForRepeats(claim, response, deps.logger);
        return response;
      }
      const retrieved = guard.inputBlock
        ? null
        : await retrieveContext(deps, tenantId, route, guard.upstreamMessages, caller);
      const asked = modelRequestOf(
        { ...request, messages: withContext(retrieved?.rendered ?? '', guard.upstreamMessages) },
        route.maxTokens,
      );
      const outcome = guard.inputBlock
        ? nothingCalled()
        : await runChain(route.chain, (model, retried) =>
            deps.providers.complete(model, asked, { signal, deadline, retried }),
          );
      const { served, attempts } = outcome;
      admission.chargeOutput(attempts);
      reservation.settle(outcome.costNanoUsd);
      const end = callerEnd(signal, deadline);
      const ending = guard.ending(served, end);
      const event = await publishCompleted(deps, call, {
        outcome,
        status: ending.failed ? FAILED : served ? undefined : unservedStatus(end),
        output: ending.output,
        fallbackAnswer: ending.fallbackText !== null,
        retrieval: retrieved?.recorded,
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
      await keepSemantic(deps, semantic, event);

      const response = completeResponse(inferenceId, route.decision, served, outcome);
      await keepForRepeats(claim, guard.forRepeats(response), deps.logger);
      return response;
    } catch (error) {
      await releaseClaim(claim, inferenceId, deps.logger);
      throw error;
    } finally {
      // Settled above when a model was called; otherwise nothing was spent.
      reservation.release();
    }
  };
}
