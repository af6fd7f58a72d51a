import { billing } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import {
  type BilledInference,
  type Rollup,
  checkGrouping,
  periodStartOf,
  rollupDeltas,
  rollupKeyOf,
  topFunctions,
  usageRows,
  zeroTotals,
} from './usage';

const { UsageDimension: Dimension, UsagePeriod: Period } = billing;

const usage = (input: bigint, output: bigint) => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: 0n,
  cacheWriteInputTokens: 3n,
  reasoningTokens: 1n,
});

function entry(fields: Partial<BilledInference> = {}): BilledInference {
  return {
    tenantId: 'acme',
    functionName: 'support.answer',
    variantName: 'default',
    model: 'gpt-4o-mini',
    provider: 'openai',
    occurredAt: new Date('2026-11-28T10:42:17Z'),
    cacheHit: false,
    cacheSavedNanoUsd: 0n,
    lineItems: [
      {
        model: 'claude-haiku',
        provider: 'anthropic',
        usage: usage(100n, 0n),
        costNanoUsd: 0n,
        unpriced: true,
      },
      {
        model: 'gpt-4o-mini',
        provider: 'openai',
        usage: usage(100n, 20n),
        costNanoUsd: 500n,
        unpriced: false,
      },
    ],
    ...fields,
  };
}

function rollup(functionName: string, hour: string, cost: bigint, inferences = 1n): Rollup {
  return {
    dims: {
      tenantId: 'acme',
      functionName,
      variantName: 'default',
      model: 'm',
      provider: 'p',
      hour: new Date(hour),
    },
    totals: { ...zeroTotals(), costNanoUsd: cost, inferences },
  };
}

describe('rollupDeltas', () => {
  it('counts each call under its own model and the inference under the model that answered', () => {
    const deltas = rollupDeltas([entry(), entry()]);
    const byModel = Object.fromEntries(
      [...deltas.values()].map((delta) => [delta.dims.model, delta.totals]),
    );
    expect(byModel['claude-haiku']).toEqual({
      ...zeroTotals(),
      calls: 2n,
      inputTokens: 200n,
      cacheWriteInputTokens: 6n,
      reasoningTokens: 2n,
      unpricedCalls: 2n,
    });
    expect(byModel['gpt-4o-mini']).toEqual({
      ...zeroTotals(),
      inferences: 2n,
      calls: 2n,
      inputTokens: 200n,
      outputTokens: 40n,
      cacheWriteInputTokens: 6n,
      reasoningTokens: 2n,
      costNanoUsd: 1_000n,
    });
  });

  it('counts a cache hit as an inference with what it saved and no call', () => {
    const [delta] = rollupDeltas([
      entry({ lineItems: [], cacheHit: true, cacheSavedNanoUsd: 7_000n, provider: '' }),
    ]).values();
    expect(delta.totals).toEqual({
      ...zeroTotals(),
      inferences: 1n,
      cacheHits: 1n,
      cacheSavedNanoUsd: 7_000n,
    });
  });

  it('keys a rollup by its dimensions and UTC hour, with slashes in names escaped', () => {
    const [key] = rollupDeltas([entry({ functionName: 'a/b', lineItems: [] })]).keys();
    expect(key).toBe('acme/a%2Fb/default/gpt-4o-mini/openai/2026-11-28T10');
    expect(rollupKeyOf([...rollupDeltas([entry({ lineItems: [] })]).values()][0].dims)).toBe(
      'acme/support.answer/default/gpt-4o-mini/openai/2026-11-28T10',
    );
  });
});

describe('periodStartOf', () => {
  const time = new Date('2026-11-28T23:59:59.999Z');
  it.each([
    [Period.USAGE_PERIOD_HOUR, '2026-11-28T23:00:00.000Z'],
    [Period.USAGE_PERIOD_DAY, '2026-11-28T00:00:00.000Z'],
    [Period.USAGE_PERIOD_MONTH, '2026-11-01T00:00:00.000Z'],
  ])('floors to the UTC period %s', (period, start) => {
    expect(periodStartOf(time, period)?.toISOString()).toBe(start);
  });

  it('has no period start for a report over the whole range', () => {
    expect(periodStartOf(time, Period.USAGE_PERIOD_UNSPECIFIED)).toBeNull();
  });
});

describe('usageRows', () => {
  it('sums hours into days per group, ordered by day then group, with cost per inference', () => {
    const { rows, totals } = usageRows(
      [
        rollup('b', '2026-11-28T10:00:00Z', 10n),
        rollup('a', '2026-11-28T23:00:00Z', 5n, 2n),
        rollup('b', '2026-11-28T11:00:00Z', 20n, 3n),
        rollup('a', '2026-11-29T00:00:00Z', 1n),
      ],
      [Dimension.USAGE_DIMENSION_FUNCTION],
      Period.USAGE_PERIOD_DAY,
    );
    expect(
      rows.map((row) => [
        row.periodStart?.toISOString().slice(0, 10),
        row.group,
        row.totals?.costNanoUsd,
        row.totals?.costPerInferenceNanoUsd,
      ]),
    ).toEqual([
      ['2026-11-28', { function: 'a' }, 5n, 2n],
      ['2026-11-28', { function: 'b' }, 30n, 7n],
      ['2026-11-29', { function: 'a' }, 1n, 1n],
    ]);
    expect(totals).toMatchObject({ costNanoUsd: 36n, inferences: 7n, costPerInferenceNanoUsd: 5n });
  });

  it('makes one row without dimensions or period, and a zero cost per inference of nothing', () => {
    expect(usageRows([], [], Period.USAGE_PERIOD_UNSPECIFIED)).toEqual({
      rows: [],
      totals: { ...zeroTotals(), costPerInferenceNanoUsd: 0n },
    });
    const { rows } = usageRows([rollup('a', '2026-11-28T10:00:00Z', 4n)], [], 0);
    expect(rows).toHaveLength(1);
    expect(rows[0].periodStart).toBeUndefined();
  });
});

describe('topFunctions', () => {
  it('ranks functions by spend, then inferences, then name, up to the limit', () => {
    const ranked = topFunctions(
      [
        rollup('cheap', '2026-11-28T10:00:00Z', 1n),
        rollup('busy', '2026-11-28T10:00:00Z', 9n, 5n),
        rollup('pricey', '2026-11-28T10:00:00Z', 6n),
        rollup('pricey', '2026-11-28T11:00:00Z', 6n),
        rollup('idle', '2026-11-28T10:00:00Z', 9n, 1n),
      ],
      3,
    );
    expect(ranked.map((spend) => [spend.functionName, spend.totals?.costNanoUsd])).toEqual([
      ['pricey', 12n],
      ['busy', 9n],
      ['idle', 9n],
    ]);
  });
});

describe('checkGrouping', () => {
  it('accepts known dimensions and periods', () => {
    expect(() =>
      checkGrouping(
        [Dimension.USAGE_DIMENSION_MODEL, Dimension.USAGE_DIMENSION_PROVIDER],
        Period.USAGE_PERIOD_MONTH,
      ),
    ).not.toThrow();
  });

  it.each([
    [[Dimension.USAGE_DIMENSION_UNSPECIFIED], Period.USAGE_PERIOD_DAY, 'group_by[0]'],
    [[Dimension.UNRECOGNIZED], Period.USAGE_PERIOD_DAY, 'group_by[0]'],
    [[Dimension.USAGE_DIMENSION_MODEL, Dimension.USAGE_DIMENSION_MODEL], 0, 'group_by[1]'],
    [[], Period.UNRECOGNIZED, 'period'],
  ])('refuses %p with period %p, naming %s', (groupBy, period, field) => {
    expect(() => checkGrouping(groupBy, period)).toThrow(InvalidArgumentError);
    expect(() => checkGrouping(groupBy, period)).toThrow(field);
  });
});
