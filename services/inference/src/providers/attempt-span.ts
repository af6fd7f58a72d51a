// Each try on a provider is a CLIENT span, named and described as the OpenTelemetry GenAI
// conventions say (`chat <model>`), so a trace shows every call the fallback chain made.
import type { common, router } from '@keel/contracts';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
} from '@keel/telemetry';
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProviderError, type ProviderResponse } from './provider';

/**
 * Runs one try on `model` in its span. The span is active while the try runs, so the adapter's
 * own HTTP call is a child of it; a try the timeout aborted ends as `error.type` `timeout`.
 */
export function inAttemptSpan(
  model: router.Model,
  maxTokens: number,
  signal: AbortSignal,
  attempt: () => Promise<ProviderResponse>,
): Promise<ProviderResponse> {
  const attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
    [ATTR_GEN_AI_PROVIDER_NAME]: model.provider,
    [ATTR_GEN_AI_REQUEST_MODEL]: model.providerModel,
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: maxTokens,
  };
  return trace
    .getTracer('@keel/inference')
    .startActiveSpan(
      `${GEN_AI_OPERATION_NAME_VALUE_CHAT} ${model.providerModel}`,
      { kind: SpanKind.CLIENT, attributes },
      async (span) => {
        try {
          const response = await attempt();
          // Adapters answer for the model they were asked: the catalog names what served.
          span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model.providerModel);
          setUsage(span, response.usage);
          return response;
        } catch (error) {
          const type = signal.aborted ? 'timeout' : errorTypeOf(error);
          span.setAttribute(ATTR_ERROR_TYPE, type);
          span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
          if (error instanceof ProviderError) setUsage(span, error.usage);
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

function setUsage(span: Span, usage: common.Usage | undefined): void {
  if (!usage) return;
  span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, Number(usage.inputTokens));
  span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, Number(usage.outputTokens));
}

/** A low-cardinality class of the failure, as `error.type` asks. */
function errorTypeOf(error: unknown): string {
  if (!(error instanceof ProviderError)) return 'provider_error';
  if (!error.transient) return 'refused';
  return error.outage ? 'unavailable' : 'transient';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
