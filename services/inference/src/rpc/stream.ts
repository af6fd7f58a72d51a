// Stream: the steps of Complete, then the answer as it is generated. Until the first chunk the
// chain falls back like Complete; after it, a failure ends the call UNAVAILABLE and the
// inference is recorded PARTIAL, and a caller that leaves ends it CANCELLED, both billed for
// what was generated. InferenceCompleted is acknowledged before the final message is written.
// Under a blocking output check, text is delivered only once checked (guardrails/stream-window.ts).
import { inference } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import { type Send, type StreamContext, cancelledByCaller } from '@keel/kit';
import { uuidv7 } from 'uuidv7';
import { completeResponse, streamEnd, unservedError, unservedStatus } from '../domain/answer';
import { type ChainOutcome, chainCost, openStreamChain } from '../domain/fallback';
import { modelRequestOf } from '../domain/parameters';
import { fallbackResponse, nothingCalled } from '../guardrails/fallback';
import type { GuardedEnding } from '../guardrails/request-guard';
import { ContentBlockedError } from '../guardrails/safety';
import {
  deliverChunks,
  deliveredStatus,
  deliveredUsage,
  deltaMessage,
  replayDeltas,
  streamOutcome,
} from '../domain/stream-delivery';
import { type FittedContext, withContext } from '../domain/retrieved-context';
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

export function stream(deps: InferenceDependencies) {
  return async (
    request: inference.StreamRequest,
    context: StreamContext,
    send: Send<inference.StreamResponse>,
  ): Promise<void> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    const { signal, deadline, trailers } = context;
    const { tenantId, route, guard, admission, reservation, claim } = await prepare(
      deps,
      request,
      context,
      true,
    );
    if (claim.kind === 'replay') {
      reservation.release();
      const answer = { ...claim.response, idempotentReplay: true };
      for (const delta of replayDeltas(answer.text, answer.toolCalls)) {
        await send(deltaMessage(answer.inferenceId, delta));
      }
      await send(streamEnd(answer));
      return;
    }

    const call = { inferenceId, tenantId, request, route, guard, started, trailers };
    let retrieved: FittedContext | null = null;
    const record = async (
      outcome: ChainOutcome,
      status: inference.InferenceStatus | undefined,
      timeToFirstTokenMs?: number,
      ending?: GuardedEnding,
    ) => {
      admission.chargeOutput(outcome.attempts);
      reservation.settle(outcome.costNanoUsd);
      return publishCompleted(deps, call, {
        outcome,
        status: ending?.failed ? FAILED : status,
        output: ending?.output,
        fallbackAnswer: ending !== undefined && ending.fallbackText !== null,
        streamed: true,
        timeToFirstTokenMs,
        retrieval: retrieved?.recorded,
      });
    };
    /** Answers from a cache: recorded first, then one text delta, a delta per tool call, the end. */
    const answerCached = async (hit: Parameters<typeof recordCacheHit>[2]) => {
      const answer = await recordCacheHit(deps, call, hit, true);
      await keepForRepeats(claim, answer, deps.logger);
      for (const delta of replayDeltas(answer.text, answer.toolCalls)) {
        await send(deltaMessage(inferenceId, delta));
      }
      await send(streamEnd(answer));
    };
    /** Answers with the function's fallback: one text delta, then the end. */
    const answerFallback = async (text: string, outcome: ChainOutcome) => {
      const answer = fallbackResponse(inferenceId, route.decision, text, outcome);
      await keepForRepeats(claim, answer, deps.logger);
      await send(deltaMessage(inferenceId, { text }));
      await send(streamEnd(answer));
    };

    try {
      deps.publisher.admit();
      if (guard.inputBlock) {
        // No model is called and no cache read; the block is recorded all the same.
        const outcome = nothingCalled();
        const ending = guard.ending(null, null);
        await record(outcome, undefined, undefined, ending);
        if (ending.fallbackText === null) throw guard.inputBlock;
        return await answerFallback(ending.fallbackText, outcome);
      }
      const cache = await lookUpCache(deps, tenantId, route, request);
      if (cache.hit) return await answerCached(cache.hit);
      const caller = callerOf(context);
      const semantic = await lookUpSemanticCache(deps, tenantId, route, request, guard, caller);
      if (semantic?.hit) return await answerCached(semantic.hit);
      retrieved = await retrieveContext(deps, tenantId, route, guard.upstreamMessages, caller);
      const upstream = withContext(retrieved?.rendered ?? '', guard.upstreamMessages);
      const asked = modelRequestOf({ ...request, messages: upstream }, route.maxTokens);
      const { opened, attempts } = await openStreamChain(route.chain, (model, retried) =>
        deps.providers.openStream(model, asked, { signal, deadline, retried }),
      );
      if (!opened) {
        const end = callerEnd(signal, deadline);
        const outcome = { served: null, attempts, costNanoUsd: chainCost(attempts) };
        const ending = guard.ending(null, end);
        await record(outcome, unservedStatus(end), undefined, ending);
        if (ending.fallbackText !== null) return await answerFallback(ending.fallbackText, outcome);
        throw unservedError(attempts, end);
      }

      let firstDeltaAt: number | undefined;
      const delivered = await deliverChunks(
        guard.deliverable(opened.chunks),
        (delta) => {
          firstDeltaAt ??= performance.now();
          return send(deltaMessage(inferenceId, delta));
        },
        signal,
      );
      // A blocked stream is billed and recorded for all it generated, delivered or held back.
      const streamBlock = delivered.error instanceof ContentBlockedError ? delivered.error : null;
      const generated = streamBlock
        ? { ...delivered, text: delivered.text + guard.heldText }
        : delivered;
      const usage = await deliveredUsage(opened.model, upstream, generated);
      const status = deliveredStatus(delivered, cancelledByCaller(signal));
      const outcome = streamOutcome(opened, attempts, generated, usage, status);
      const anyDelivered = delivered.text !== '' || delivered.toolCalls.length > 0;
      const end = callerEnd(signal, deadline);
      const ending = guard.ending(outcome.served, end, streamBlock, anyDelivered);
      const timeToFirstTokenMs = (firstDeltaAt ?? opened.firstChunkAt) - started;
      const event = await record(outcome, status, timeToFirstTokenMs, ending);
      if (ending.fallbackText !== null) return await answerFallback(ending.fallbackText, outcome);
      if (ending.block) throw ending.block;
      if (delivered.ending === 'cancelled') throw signal.reason;
      if (delivered.ending === 'failed') {
        throw new UnavailableError(
          `model '${opened.model.name}' failed after its first token (${messageOf(delivered.error)}); ` +
            'the answer is incomplete',
        );
      }

      await deps.cache.keep(cache.plan, event);
      await keepSemantic(deps, semantic, event);
      const answer = completeResponse(inferenceId, route.decision, outcome.served, outcome);
      await keepForRepeats(claim, guard.forRepeats(answer), deps.logger);
      await send(streamEnd(answer, timeToFirstTokenMs));
    } catch (error) {
      await releaseClaim(claim, inferenceId, deps.logger);
      throw error;
    } finally {
      // Settled when the stream was recorded; otherwise nothing was spent.
      reservation.release();
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
