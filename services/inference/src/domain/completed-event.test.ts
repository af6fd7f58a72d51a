import { builtinCatalog, findModel } from '@keel/catalog';
import { common, durationFromMs, inference, router } from '@keel/contracts';
import { completedEvent } from './completed-event';
import type { ChainOutcome } from './fallback';

const {
  INFERENCE_STATUS_OK: OK,
  INFERENCE_STATUS_FAILED: FAILED,
  INFERENCE_STATUS_PARTIAL: PARTIAL,
} = inference.InferenceStatus;
const { FINISH_REASON_STOP: STOP } = inference.FinishReason;
const simLarge = findModel(builtinCatalog(1n), 'sim-large') as router.Model;
const decision = router.RouteDecision.fromPartial({
  functionName: 'support.answer',
  variantName: 'default',
  modelChain: ['sim-small', 'sim-large'],
  policyVersion: 7n,
  catalogVersion: 3n,
});
const attempts = [
  inference.Attempt.fromPartial({ model: 'sim-small', status: FAILED, errorMessage: 'down' }),
  inference.Attempt.fromPartial({ model: 'sim-large', status: OK, costNanoUsd: 450n }),
];
const base = {
  inferenceId: '0190f0f0-0000-7000-8000-000000000000',
  tenantId: 'tenant-a',
  messages: [
    common.ChatMessage.fromPartial({
      role: common.MessageRole.MESSAGE_ROLE_SYSTEM,
      content: 'Be brief.',
    }),
    common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: 'Hi?' }),
  ],
  decision,
  latencyMs: 12.5,
  traceId: 'abc',
  occurredAt: new Date('2025-08-01T00:00:00Z'),
};

describe('completedEvent', () => {
  it('describes a served inference', () => {
    const usage = common.Usage.fromPartial({ inputTokens: 10n, outputTokens: 5n });
    const outcome: ChainOutcome = {
      served: { model: simLarge, text: 'hello', usage, toolCalls: [], finishReason: STOP },
      attempts,
      costNanoUsd: 450n,
    };
    expect(completedEvent({ ...base, outcome })).toEqual(
      inference.InferenceCompleted.fromPartial({
        inferenceId: base.inferenceId,
        tenantId: 'tenant-a',
        functionName: 'support.answer',
        variantName: 'default',
        model: 'sim-large',
        attempts,
        usage,
        costNanoUsd: 450n,
        catalogVersion: 3n,
        policyVersion: 7n,
        status: OK,
        outputText: 'hello',
        inputMessages: base.messages,
        latency: durationFromMs(12.5),
        traceId: 'abc',
        occurredAt: base.occurredAt,
        finishReason: STOP,
      }),
    );
  });

  it('carries a stream’s status, tool calls, tags, episode and time to first token', () => {
    const usage = common.Usage.fromPartial({ inputTokens: 10n, outputTokens: 2n, estimated: true });
    const call = common.ToolCall.fromPartial({ id: 'c1', name: 'lookup', argumentsJson: '{}' });
    const outcome: ChainOutcome = {
      served: { model: simLarge, text: 'hel', usage, toolCalls: [call], finishReason: STOP },
      attempts,
      costNanoUsd: 450n,
    };
    const event = completedEvent({
      ...base,
      outcome,
      status: PARTIAL,
      tags: { team: 'support' },
      episodeId: 'ep-1',
      streamed: true,
      timeToFirstTokenMs: 42,
    });
    expect(event).toMatchObject({
      status: PARTIAL,
      outputText: 'hel',
      toolCalls: [call],
      tags: { team: 'support' },
      episodeId: 'ep-1',
      streamed: true,
      timeToFirstToken: durationFromMs(42),
      usage,
    });
  });

  it('describes an inference every model failed: no model, no output, FAILED, its input', () => {
    const outcome: ChainOutcome = { served: null, attempts, costNanoUsd: 0n };
    const event = completedEvent({ ...base, outcome });
    expect(event).toMatchObject({ model: '', outputText: '', status: FAILED, usage: undefined });
    expect(event.inputMessages).toEqual(base.messages);
    expect(event.attempts).toEqual(attempts);
  });

  it('records the answer as the guardrails left it: redacted or the fallback, with their report', () => {
    const usage = common.Usage.fromPartial({ inputTokens: 10n, outputTokens: 5n });
    const outcome: ChainOutcome = {
      served: { model: simLarge, text: 'mail a@b.io', usage, toolCalls: [], finishReason: STOP },
      attempts,
      costNanoUsd: 450n,
    };
    const guardrails = inference.GuardrailReport.fromPartial({
      outputPiiCounts: { EMAIL_ADDRESS: 1 },
      redacted: true,
    });
    const event = completedEvent({
      ...base,
      outcome,
      output: { text: 'mail <EMAIL_ADDRESS>', toolCalls: [] },
      guardrails,
    });
    expect(event).toMatchObject({
      outputText: 'mail <EMAIL_ADDRESS>',
      model: 'sim-large',
      guardrails,
    });
    expect(event.fallbackAnswer).toBe(false);

    const fallback = completedEvent({
      ...base,
      outcome: { served: null, attempts, costNanoUsd: 450n },
      status: FAILED,
      output: { text: 'Sorry.', toolCalls: [] },
      fallbackAnswer: true,
    });
    expect(fallback).toMatchObject({ outputText: 'Sorry.', fallbackAnswer: true, status: FAILED });
  });

  it("carries the request's reference for the evaluators, and none when the request had none", () => {
    const outcome: ChainOutcome = { served: null, attempts, costNanoUsd: 0n };
    const reference = inference.Reference.fromPartial({ answer: '42', context: ['6 × 7 = 42'] });
    expect(completedEvent({ ...base, outcome, reference }).reference).toEqual(reference);
    expect(completedEvent({ ...base, outcome }).reference).toBeUndefined();
  });
});
