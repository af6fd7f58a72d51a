// What a request needs of a model beyond plain chat, and which models of a chain have it.
import type { ModelCapability } from '@keel/catalog';
import { inference, type router } from '@keel/contracts';
import { FailedPreconditionError } from '@keel/errors';
import type { GenerationRequest } from './parameters';

type NeedsInput = Pick<GenerationRequest, 'tools' | 'responseFormat'> & {
  messages: Array<{ toolCalls: unknown[]; toolCallId: string }>;
};

/** The capabilities a model needs to serve `request`; `streamed` for a Stream call. */
export function requiredCapabilities(request: NeedsInput, streamed: boolean): ModelCapability[] {
  const usesTools =
    request.tools.length > 0 ||
    request.messages.some((message) => message.toolCalls.length > 0 || message.toolCallId !== '');
  return [
    ...(streamed ? (['streaming'] as const) : []),
    ...(usesTools ? (['tools'] as const) : []),
    ...(request.responseFormat === inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT
      ? (['json_mode'] as const)
      : []),
  ];
}

/**
 * The models of `chain` that have every capability in `needs`, in order: a model that lacks
 * one is left out of the chain rather than called and refused. When none has them all, the
 * request is refused before any call, naming what each model lacks.
 */
export function modelsServing(chain: router.Model[], needs: ModelCapability[]): router.Model[] {
  const lacking = (model: router.Model) =>
    needs.filter((capability) => !model.capabilities.includes(capability));
  const serving = chain.filter((model) => lacking(model).length === 0);
  if (serving.length > 0) return serving;
  const reasons = chain.map(
    (model) =>
      `model '${model.name}' lacks ${lacking(model)
        .map((c) => `'${c}'`)
        .join(', ')}`,
  );
  throw new FailedPreconditionError(
    `no model of the chain can serve this request: ${reasons.join('; ')}`,
  );
}
