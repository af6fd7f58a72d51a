// Each try on a provider is a CLIENT span, named and described as the OpenTelemetry GenAI
// conventions say (`chat <model>`), so a trace shows every call the fallback chain made. A
// streamed try's span lasts until its stream ends and marks its first chunk with an event.
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
import { type Span, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ProviderError } from '../domain/provider';

/** The span event of a streamed try's first chunk: its time less the span's start is the TTFT. */
export const FIRST_CHUNK_EVENT = 'gen_ai.first_chunk';

/**
 * Why a try failed, as the low-cardinality `error.type`: `timeout` (the try's own time ran
 * out), `deadline_exceeded` or `cancelled` (the caller's), else what the provider's error says.
 */
export type AttemptErrorType = 'timeout' | 'deadline_exceeded' | 'cancelled' | undefined;

export class AttemptSpan {
  private ended = false;

  private constructor(
    private readonly span: Span,
    private readonly providerModel: string,
  ) {}

  /** Starts the span of one try on `model`, as a child of the active span. */
  static start(model: router.Model, maxTokens: number): AttemptSpan {
    const span = trace
      .getTracer('@keel/inference')
      .startSpan(`${GEN_AI_OPERATION_NAME_VALUE_CHAT} ${model.providerModel}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
          [ATTR_GEN_AI_PROVIDER_NAME]: model.provider,
          [ATTR_GEN_AI_REQUEST_MODEL]: model.providerModel,
          [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: maxTokens,
        },
      });
    return new AttemptSpan(span, model.providerModel);
  }

  /** Runs `work` with this span active, so the adapter's own HTTP call is a child of it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return context.with(trace.setSpan(context.active(), this.span), work);
  }

  firstChunk(): void {
    this.span.addEvent(FIRST_CHUNK_EVENT);
    this.answered();
  }

  succeeded(usage: common.Usage | undefined): void {
    if (this.ended) return;
    this.answered();
    setUsage(this.span, usage);
    this.end();
  }

  /** Ends the span as failed; `type` overrides the class the provider's error implies. */
  failed(error: unknown, type?: AttemptErrorType): void {
    if (this.ended) return;
    this.span.setAttribute(ATTR_ERROR_TYPE, type ?? errorTypeOf(error));
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
    if (error instanceof ProviderError) setUsage(this.span, error.usage);
    this.end();
  }

  /** Adapters answer for the model they were asked: the catalog names what served. */
  private answered(): void {
    this.span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, this.providerModel);
  }

  private end(): void {
    this.ended = true;
    this.span.end();
  }
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
