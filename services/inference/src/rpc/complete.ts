// Complete: validate → route from the local policy snapshot → admit (room in the publish
// backlog) → call the chain → publish InferenceCompleted → answer. The answer waits for
// JetStream's acknowledgement, so an inference a caller was answered is never unrecorded.
import { inference, type router } from '@keel/contracts';
import { FailedPreconditionError, UnavailableError } from '@keel/errors';
import type { UnaryContext } from '@keel/kit';
import type { Policy } from '@keel/routing';
import type { SnapshotFollower } from '@keel/snapshots';
import { type Logger, currentTraceId } from '@keel/telemetry';
import { uuidv7 } from 'uuidv7';
import { completedEvent } from '../domain/completed-event';
import { describeFailures, runChain } from '../domain/fallback';
import { type InputLimits, resolveMaxTokens, validateMessages } from '../domain/validate';
import type { ResilientProviders } from '../providers/resilience';
import type { CompletedPublisher } from '../publish/completed-publisher';

export interface CompleteDependencies {
  follower: SnapshotFollower;
  providers: ResilientProviders;
  publisher: CompletedPublisher;
  limits: InputLimits;
  logger: Logger;
}

export function complete(deps: CompleteDependencies) {
  return async (
    request: inference.CompleteRequest,
    { principal }: UnaryContext,
  ): Promise<inference.CompleteResponse> => {
    const started = performance.now();
    const inferenceId = uuidv7();
    if (!principal) throw new Error('Complete must be bound with the inference scope');
    const policy = deps.follower.policy;
    if (!policy) {
      throw new UnavailableError('the routing policy has not been loaded yet; retry shortly');
    }

    validateMessages(request.messages, deps.limits);
    const tenantId = principal.tenantId;
    const decision = policy.decide({
      tenantId,
      functionName: request.functionName,
      model: request.model,
    });
    const chain = modelsOf(policy, decision);
    const maxTokens = resolveMaxTokens(request.maxTokens, decision.defaultMaxTokens, chain);

    deps.publisher.admit();
    const outcome = await runChain(chain, (model, retried) =>
      deps.providers.complete(model, { messages: request.messages, maxTokens }, retried),
    );
    await deps.publisher.publish(
      completedEvent({
        inferenceId,
        tenantId,
        messages: request.messages,
        decision,
        outcome,
        latencyMs: performance.now() - started,
        traceId: currentTraceId(),
        occurredAt: new Date(),
      }),
    );

    const { served, attempts, costNanoUsd } = outcome;
    if (!served) {
      deps.logger.warn(
        { inference_id: inferenceId, tenant_id: tenantId, attempts: attempts.length },
        'every model of the chain failed',
      );
      throw new UnavailableError(describeFailures(attempts));
    }
    return inference.CompleteResponse.fromPartial({
      inferenceId,
      text: served.text,
      model: served.model.name,
      usage: served.usage,
      costNanoUsd,
      functionName: decision.functionName,
      variantName: decision.variantName,
    });
  };
}

/** The catalog entries of the decision's chain (the policy checked that each exists). */
function modelsOf(policy: Policy, decision: router.RouteDecision): router.Model[] {
  return decision.modelChain.map((name) => {
    const model = policy.model(name);
    if (!model) {
      throw new FailedPreconditionError(
        `model '${name}' is not in catalog ${policy.catalog.version}`,
      );
    }
    return model;
  });
}
