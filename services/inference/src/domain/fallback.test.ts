import { builtinCatalog, costOf, findModel } from '@keel/catalog';
import { common, durationToMs, inference, router } from '@keel/contracts';
import { CancelledError, DeadlineExceededError } from '@keel/errors';
import { type ProviderChunk, ProviderError, type ProviderResponse } from './provider';
import {
  NotSentError,
  attemptOf,
  chainCost,
  describeFailures,
  openStreamChain,
  runChain,
} from './fallback';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const catalog = builtinCatalog(1n);
const model = (name: string) => findModel(catalog, name) as router.Model;
const [simSmall, simLarge] = ['sim-small', 'sim-large'].map(model);
// A priced model of another provider, as an operator would put it.
const gpt4o = router.Model.fromPartial({
  ...simLarge,
  name: 'gpt-4o',
  provider: 'openai',
  providerModel: 'gpt-4o',
  price: { inputNanoUsdPerMtok: 2_500_000_000n, outputNanoUsdPerMtok: 10_000_000_000n },
});
const { FINISH_REASON_STOP: STOP, FINISH_REASON_TOOL_CALLS: TOOL_CALLS } = inference.FinishReason;
const usage = (input: bigint, output: bigint) =>
  common.Usage.fromPartial({ inputTokens: input, outputTokens: output });
const answer = (text: string, input = 100n, output = 20n): ProviderResponse => ({
  text,
  toolCalls: [],
  finishReason: STOP,
  usage: usage(input, output),
});

/** A clock that moves 5 ms each time it is read. */
function steppingClock(): () => number {
  let now = 0;
  return () => (now += 5);
}

describe('runChain', () => {
  it('is served by the first model when it answers, with one OK attempt priced from the catalog', async () => {
    const called: string[] = [];
    const outcome = await runChain(
      [simSmall, simLarge],
      async (m) => (called.push(m.name), answer('hi')),
      steppingClock(),
    );
    expect(called).toEqual(['sim-small']);
    expect(outcome.served).toEqual({
      model: simSmall,
      text: 'hi',
      usage: usage(100n, 20n),
      toolCalls: [],
      finishReason: STOP,
    });
    const cost = costOf(simSmall.price!, usage(100n, 20n));
    expect(cost).toBeGreaterThan(0n);
    expect(outcome.attempts).toEqual([
      inference.Attempt.fromPartial({
        model: 'sim-small',
        provider: 'sim',
        status: OK,
        usage: usage(100n, 20n),
        costNanoUsd: cost,
        latency: { seconds: 0n, nanos: 5_000_000 },
        errorMessage: '',
        finishReason: STOP,
        httpStatus: 0,
      }),
    ]);
    expect(outcome.costNanoUsd).toBe(cost);
  });

  it('falls back in order and records the failed attempt with its reason', async () => {
    const outcome = await runChain([simSmall, simLarge], async (m) => {
      if (m.name === 'sim-small') throw new ProviderError('overloaded (503)', { transient: true });
      return answer('from large');
    });
    expect(outcome.served?.model.name).toBe('sim-large');
    expect(outcome.served?.text).toBe('from large');
    expect(outcome.attempts.map((a) => [a.model, a.status, a.errorMessage])).toEqual([
      ['sim-small', FAILED, 'overloaded (503)'],
      ['sim-large', OK, ''],
    ]);
    const [failed] = outcome.attempts;
    expect(failed.usage).toEqual(common.Usage.create());
    expect(failed.costNanoUsd).toBe(0n);
    expect(outcome.costNanoUsd).toBe(costOf(simLarge.price!, usage(100n, 20n)));
  });

  it('sums the cost of every billed attempt, failed ones included', async () => {
    // gpt-4o read the prompt and wrote 5 tokens before it was cut off: the provider bills that.
    const partial = usage(100n, 5n);
    const outcome = await runChain([gpt4o, simSmall, simLarge], async (m) => {
      if (m.name === 'gpt-4o') {
        throw new ProviderError('stream cut off (502)', { transient: true, usage: partial });
      }
      if (m.name === 'sim-small') throw new ProviderError('overloaded', { transient: true });
      return answer('ok', 100n, 20n);
    });
    const gptCost = costOf(gpt4o.price!, partial);
    const largeCost = costOf(simLarge.price!, usage(100n, 20n));
    expect(outcome.attempts.map((a) => a.costNanoUsd)).toEqual([gptCost, 0n, largeCost]);
    expect(outcome.attempts[0].usage).toEqual(partial);
    expect(outcome.costNanoUsd).toBe(gptCost + largeCost);
  });

  it('answers null when every model fails, with an attempt per model', async () => {
    const outcome = await runChain([simSmall, simLarge], async (m) => {
      throw new ProviderError(`${m.name} down`, { transient: true });
    });
    expect(outcome.served).toBeNull();
    expect(outcome.attempts.map((a) => [a.model, a.status])).toEqual([
      ['sim-small', FAILED],
      ['sim-large', FAILED],
    ]);
    expect(outcome.costNanoUsd).toBe(0n);
    expect(describeFailures(outcome.attempts)).toBe(
      'every model of the chain failed: sim-small (sim-small down); sim-large (sim-large down)',
    );
  });

  it('records the latency of each attempt', async () => {
    const outcome = await runChain(
      [simSmall, simLarge],
      async (m) => {
        if (m.name === 'sim-small') throw new Error('connection reset');
        return answer('ok');
      },
      steppingClock(),
    );
    expect(outcome.attempts.map((a) => durationToMs(a.latency))).toEqual([5, 5]);
    expect(outcome.attempts[0].errorMessage).toBe('connection reset');
  });

  it('bills nothing for an answer with no tokens at all', async () => {
    const outcome = await runChain([simSmall], async () => answer('', 0n, 0n));
    expect(outcome.attempts[0].costNanoUsd).toBe(0n);
    expect(outcome.costNanoUsd).toBe(0n);
  });

  it('records each retried try as a failed attempt of its own, billed for its tokens', async () => {
    const cutOff = usage(100n, 7n);
    const outcome = await runChain(
      [gpt4o],
      async (_, retried) => {
        retried(new ProviderError('stream cut off (502)', { transient: true, usage: cutOff }));
        retried(new ProviderError('overloaded (503)', { transient: true }));
        return answer('ok', 100n, 20n);
      },
      steppingClock(),
    );
    expect(outcome.attempts.map((a) => [a.model, a.status, a.errorMessage])).toEqual([
      ['gpt-4o', FAILED, 'stream cut off (502)'],
      ['gpt-4o', FAILED, 'overloaded (503)'],
      ['gpt-4o', OK, ''],
    ]);
    const cutOffCost = costOf(gpt4o.price!, cutOff);
    const servedCost = costOf(gpt4o.price!, usage(100n, 20n));
    expect(outcome.attempts.map((a) => a.costNanoUsd)).toEqual([cutOffCost, 0n, servedCost]);
    expect(outcome.attempts[0].usage).toEqual(cutOff);
    expect(outcome.served?.usage).toEqual(usage(100n, 20n));
    expect(outcome.costNanoUsd).toBe(cutOffCost + servedCost);
    expect(outcome.attempts.map((a) => durationToMs(a.latency))).toEqual([5, 5, 5]);
  });

  it('fails an answer whose usage cannot be priced, keeping that usage, and falls back', async () => {
    const impossible = common.Usage.fromPartial({
      inputTokens: 10n,
      outputTokens: 5n,
      cachedInputTokens: 11n,
    });
    const outcome = await runChain([gpt4o, simLarge], async (m) =>
      m.name === 'gpt-4o' ? { ...answer('fine'), usage: impossible } : answer('from large'),
    );
    expect(outcome.served?.model.name).toBe('sim-large');
    const [unpriced] = outcome.attempts;
    expect(unpriced).toMatchObject({ model: 'gpt-4o', status: FAILED, usage: impossible });
    expect(unpriced.costNanoUsd).toBe(0n);
    expect(unpriced.errorMessage).toBe(
      'usage cannot be priced: usage.cached_input_tokens: 11 exceeds input_tokens (10); ' +
        'cached tokens are a subset of input tokens',
    );
  });

  it('records a failure whose usage cannot be priced instead of throwing', async () => {
    const impossible = common.Usage.fromPartial({ inputTokens: 1n, cachedInputTokens: 2n });
    const outcome = await runChain([gpt4o], async () => {
      throw new ProviderError('stream cut off (502)', { transient: true, usage: impossible });
    });
    expect(outcome.served).toBeNull();
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.attempts[0]).toMatchObject({ status: FAILED, usage: impossible });
    expect(outcome.attempts[0].errorMessage).toMatch(
      /^stream cut off \(502\); usage cannot be priced: usage.cached_input_tokens: 2 exceeds/,
    );
    expect(outcome.costNanoUsd).toBe(0n);
  });

  it('records the HTTP status of each failed try and the served answer’s tool calls', async () => {
    const toolCall = common.ToolCall.fromPartial({ id: 'c1', name: 'lookup', argumentsJson: '{}' });
    const outcome = await runChain([simSmall, simLarge], async (m, retried) => {
      if (m.name === 'sim-small') {
        retried(new ProviderError('rate limited (429)', { transient: true, httpStatus: 429 }));
        throw new ProviderError('bad gateway (502)', { transient: true, httpStatus: 502 });
      }
      return { ...answer(''), toolCalls: [toolCall], finishReason: TOOL_CALLS };
    });
    expect(outcome.attempts.map((a) => [a.model, a.httpStatus, a.finishReason])).toEqual([
      ['sim-small', 429, 0],
      ['sim-small', 502, 0],
      ['sim-large', 0, TOOL_CALLS],
    ]);
    expect(outcome.served).toMatchObject({ toolCalls: [toolCall], finishReason: TOOL_CALLS });
  });

  it.each([
    ['deadline', new DeadlineExceededError('the deadline passed while calling sim-small')],
    ['cancellation', new CancelledError('the caller cancelled the call to sim-small')],
  ])(
    'stops at the caller’s %s, keeping the try it cut, and calls no further model',
    async (_, cut) => {
      const called: string[] = [];
      const outcome = await runChain([simSmall, simLarge], async (m, retried) => {
        called.push(m.name);
        retried(new ProviderError(cut.message, { transient: false, usage: usage(100n, 3n) }));
        throw cut;
      });
      expect(called).toEqual(['sim-small']);
      expect(outcome.served).toBeNull();
      expect(outcome.attempts.map((a) => [a.model, a.status, a.errorMessage])).toEqual([
        ['sim-small', FAILED, cut.message],
      ]);
      expect(outcome.costNanoUsd).toBe(costOf(simSmall.price!, usage(100n, 3n)));
    },
  );
});

describe('openStreamChain', () => {
  const chunks = (): AsyncIterator<ProviderChunk> => ({
    next: async () => ({ done: false, value: { type: 'text', text: 'hi' } }),
  });

  it('falls back past a model that fails before its first chunk, recording only failed tries', async () => {
    const opened = chunks();
    const called: string[] = [];
    const result = await openStreamChain(
      [simSmall, simLarge],
      async (m, retried) => {
        called.push(m.name);
        if (m.name === 'sim-large') return opened;
        retried(
          new ProviderError('service unavailable (503)', { transient: true, httpStatus: 503 }),
        );
        throw new ProviderError('timed out after 200 ms', { transient: true });
      },
      steppingClock(),
    );
    expect(called).toEqual(['sim-small', 'sim-large']);
    expect(result.opened?.model).toBe(simLarge);
    expect(result.opened?.chunks).toBe(opened);
    expect(result.attempts.map((a) => [a.model, a.status, a.errorMessage, a.httpStatus])).toEqual([
      ['sim-small', FAILED, 'service unavailable (503)', 503],
      ['sim-small', FAILED, 'timed out after 200 ms', 0],
    ]);
    // Each failed try reads the clock twice (its end, the next one's start); 30 starts sim-large.
    expect(result.opened).toMatchObject({ startedAt: 30, firstChunkAt: 35 });
    expect(result.attempts.map((a) => durationToMs(a.latency))).toEqual([5, 5]);
  });

  it('opens nothing when every model fails before its first chunk', async () => {
    const result = await openStreamChain([simSmall, simLarge], async (m) => {
      throw new ProviderError(`${m.name} down`, { transient: true });
    });
    expect(result.opened).toBeNull();
    expect(result.attempts.map((a) => a.model)).toEqual(['sim-small', 'sim-large']);
  });

  it('records a try that was never sent as skipped, unbilled', async () => {
    const result = await openStreamChain([simSmall, simLarge], async (m) => {
      if (m.name === 'sim-large') return chunks();
      throw new NotSentError('circuit open: sim-small on sim failed repeatedly');
    });
    expect(result.opened?.model).toBe(simLarge);
    expect(result.attempts.map((a) => [a.model, a.status, a.skipped, a.costNanoUsd])).toEqual([
      ['sim-small', FAILED, true, 0n],
    ]);
  });

  it('stops at the caller’s deadline and calls no further model', async () => {
    const called: string[] = [];
    const result = await openStreamChain([simSmall, simLarge], async (m) => {
      called.push(m.name);
      throw new DeadlineExceededError('the deadline passed while calling sim-small');
    });
    expect(called).toEqual(['sim-small']);
    expect(result).toEqual({ opened: null, attempts: [] });
  });
});

describe('attemptOf', () => {
  it('records a streamed attempt’s status, finish reason and time to first token', () => {
    const attempt = attemptOf(simSmall, usage(10n, 4n), 120, new Error('connection reset'), {
      status: inference.InferenceStatus.INFERENCE_STATUS_PARTIAL,
      finishReason: STOP,
      timeToFirstTokenMs: 35,
    });
    expect(attempt).toMatchObject({
      status: inference.InferenceStatus.INFERENCE_STATUS_PARTIAL,
      errorMessage: 'connection reset',
      finishReason: STOP,
      costNanoUsd: costOf(simSmall.price!, usage(10n, 4n)),
    });
    expect(durationToMs(attempt.timeToFirstToken)).toBe(35);
    expect(durationToMs(attempt.latency)).toBe(120);
    expect(chainCost([attempt, attempt])).toBe(2n * attempt.costNanoUsd);
  });
});
