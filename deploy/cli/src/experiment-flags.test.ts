import { durationToMs, evaluation } from '@keel/contracts';
import { examplesOfJsonl, gateOf } from './experiment-flags';

describe('examplesOfJsonl', () => {
  it('reads each line as an example, with short role names, and ids from content when absent', () => {
    const text = [
      JSON.stringify({
        example_id: 'q1',
        messages: [{ role: 'user', content: '6 × 7?' }],
        reference: { answer: '42' },
        tags: { topic: 'arithmetic' },
      }),
      '',
      JSON.stringify({ messages: [{ role: 'system', content: 'Be brief.' }] }),
    ].join('\n');
    const [first, second] = examplesOfJsonl(text, 'f.jsonl');
    expect(first).toMatchObject({
      exampleId: 'q1',
      messages: [{ role: 2, content: '6 × 7?' }],
      reference: { answer: '42' },
      tags: { topic: 'arithmetic' },
    });
    expect(second.messages[0].role).toBe(1);
    expect(second.exampleId).toMatch(/^[0-9a-f]{16}$/);
    expect(examplesOfJsonl(text, 'f.jsonl')[1].exampleId).toBe(second.exampleId);
  });

  it('names the file and line of a bad line', () => {
    expect(() => examplesOfJsonl('{"messages": []}\n{oops', 'f.jsonl')).toThrow(
      'f.jsonl:1: no messages',
    );
    expect(() => examplesOfJsonl('{oops', 'f.jsonl')).toThrow(/^f\.jsonl:1: not JSON/);
  });
});

describe('gateOf', () => {
  it('reads each bound by its field name', () => {
    const gate = gateOf(
      'min_mean_score=0.8,max_error_rate=0.05,max_cost_per_example_nano_usd=2000,' +
        'max_p95_latency_ms=750,baseline_variant=a,max_score_drop=0.02',
    );
    expect(gate).toMatchObject({
      minMeanScore: 0.8,
      maxErrorRate: 0.05,
      maxCostPerExampleNanoUsd: 2000n,
      baselineVariant: 'a',
      maxScoreDrop: 0.02,
    });
    expect(durationToMs(gate.maxP95Latency)).toBe(750);
    expect(gateOf(undefined)).toEqual(evaluation.ExperimentGate.fromPartial({}));
  });

  it('refuses an unknown bound and a value that is not a number', () => {
    expect(() => gateOf('min_score=1')).toThrow(/^--gate: unknown bound 'min_score'/);
    expect(() => gateOf('min_mean_score=high')).toThrow(
      "--gate: min_mean_score='high' is not a number",
    );
  });
});
