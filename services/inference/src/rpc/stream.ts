// Stream: the steps of Complete, then the answer as it is generated. Until the first chunk the
// chain falls back like Complete; after it, a failure ends the call UNAVAILABLE and the
// inference is recorded PARTIAL, and a caller that leaves ends it CANCELLED, both billed for
// what was generated. InferenceCompleted is acknowledged before the final message is written.
import { inference } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import { type Send, type StreamContext, cancelledByCaller } from '@keel/kit';
import { currentTraceId } from '@keel/telemetry';
import { uuidv7 } from 'uuidv7';
import { completeResponse, streamEnd, unservedError, unservedStatus } from '../domain/answer';
import { completedEvent } from '../domain/completed-event';
import { type ChainOutcome, chainCost, openStreamChain } from '../domain/fallback';
import { modelRequestOf } from '../domain/parameters';
import {
  deliverChunks,
  deliveredStatus,
  deliveredUsage,
  deltaMessage,
  replayDeltas,
  streamOutcome,
} from '../domain/stream-delivery';
import type { InferenceDependencies } from './deps';
import { prepare, INFERENCE_ID_TRAILER, callerEnd, keepForRepeats, releaseClaim } from './shared';

export function stream(deps: InferenceDependencies) {
  return async (
    request: inference.StreamRequest,
    context: StreamContext,
    send: Send<inference.StreamResponse>,
  ): Promise<void> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    const { signal, deadline, trailers } = context;
    const { tenantId, route, claim } = await prepare(deps, request, context, true);
    if (claim.kind === 'replay') {
      const answer = { ...claim.response, idempotentReplay: true };
      for (const delta of replayDeltas(answer.text, answer.toolCalls)) {
        await send(deltaMessage(answer.inferenceId, delta));
      }
      await send(streamEnd(answer));
      return;
    }

    const record = async (
      outcome: ChainOutcome,
      status: inference.InferenceStatus | undefined,
      timeToFirstTokenMs?: number,
    ) => {
      await deps.publisher.publish(
        completedEvent({
          inferenceId,
          tenantId,
          messages: request.messages,
          tags: request.tags,
          episodeId: request.episodeId,
          decision: route.decision,
          outcome,
          status,
          streamed: true,
          timeToFirstTokenMs,
          latencyMs: performance.now() - started,
          traceId: currentTraceId(),
          occurredAt: new Date(),
        }),
      );
      trailers.set(INFERENCE_ID_TRAILER, inferenceId);
    };

    try {
      deps.publisher.admit();
      const asked = modelRequestOf(request, route.maxTokens);
      const { opened, attempts } = await openStreamChain(route.chain, (model, retried) =>
        deps.providers.openStream(model, asked, { signal, deadline, retried }),
      );
      if (!opened) {
        const end = callerEnd(signal, deadline);
        await record(
          { served: null, attempts, costNanoUsd: chainCost(attempts) },
          unservedStatus(end),
        );
        throw unservedError(attempts, end);
      }

      const delivered = await deliverChunks(
        opened.chunks,
        (delta) => send(deltaMessage(inferenceId, delta)),
        signal,
      );
      const usage = await deliveredUsage(opened.model, request.messages, delivered);
      const status = deliveredStatus(delivered, cancelledByCaller(signal));
      const outcome = streamOutcome(opened, attempts, delivered, usage, status);
      const timeToFirstTokenMs = opened.firstChunkAt - started;
      await record(outcome, status, timeToFirstTokenMs);
      if (delivered.ending === 'cancelled') throw signal.reason;
      if (delivered.ending === 'failed') {
        throw new UnavailableError(
          `model '${opened.model.name}' failed after its first token (${messageOf(delivered.error)}); ` +
            'the answer is incomplete',
        );
      }

      const answer = completeResponse(inferenceId, route.decision, outcome.served, outcome);
      await keepForRepeats(claim, answer, deps.logger);
      await send(streamEnd(answer, timeToFirstTokenMs));
    } catch (error) {
      await releaseClaim(claim, inferenceId, deps.logger);
      throw error;
    }
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
