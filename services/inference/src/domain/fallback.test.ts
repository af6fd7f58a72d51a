import { builtinCatalog, costOf, findModel } from '@keel/catalog';
import { common, durationToMs, inference, router } from '@keel/contracts';
import { ProviderError, type ProviderResponse } from '../providers/provider';
import { describeFailures, runChain } from './fallback';

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const catalog = builtinCatalog(1n);
const model = (name: string) => findModel(catalog, name) as router.Model;
const [simSmall, simLarge, gpt4o] = ['sim-small', 'sim-large', 'gpt-4o'].map(model);
const usage = (input: bigint, output: bigint) =>
  common.Usage.fromPartial({ inputTokens: input, outputTokens: output });
const answer = (text: string, input = 100n, output = 20n): ProviderResponse => ({
  text,
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
    expect(outcome.served).toEqual({ model: simSmall, text: 'hi', usage: usage(100n, 20n) });
    const cost = costOf(simSmall.price, usage(100n, 20n));
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
    expect(outcome.costNanoUsd).toBe(costOf(simLarge.price, usage(100n, 20n)));
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
    const gptCost = costOf(gpt4o.price, partial);
    const largeCost = costOf(simLarge.price, usage(100n, 20n));
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
    const cutOffCost = costOf(gpt4o.price, cutOff);
    const servedCost = costOf(gpt4o.price, usage(100n, 20n));
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
      m.name === 'gpt-4o' ? { text: 'fine', usage: impossible } : answer('from large'),
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
});
