import { durationFromMs, inference as contracts, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { evaluatedInference, run } from './evaluated-inference.fixture';
import { EVALUATORS } from './index';

// Params that every evaluator accepts; the ones that need none get the empty text.
const PARAMS: { [id: string]: string } = {
  'length@2': '{"min_words":1,"max_words":50}',
  'regex@1': '{"pattern":"\\\\d+"}',
  'json_schema@1': '{"schema":{"type":"object"}}',
  'llm_judge@1': '{"rubric":"Correct and polite.","judge_function":"judge"}',
};

const ANSWERS = ['', 'Monday.', '{"id": 1}', "I can't help with that.", 'word '.repeat(300)];

describe('EVALUATORS', () => {
  it('keeps the ids stored in production and adds the new ones, each under its own id', () => {
    expect([...EVALUATORS.keys()]).toEqual([
      'non_empty@1',
      'length@1',
      'length@2',
      'exact@1',
      'contains@1',
      'regex@1',
      'json_schema@1',
      'numeric_match@1',
      'refusal@1',
      'pii_leak@1',
      'groundedness@1',
      'slo@1',
      'llm_judge@1',
    ]);
    for (const [id, evaluator] of EVALUATORS) {
      expect(evaluator.id).toBe(id);
      expect(id).toMatch(/^[a-z_]+@\d+$/);
    }
  });

  it('refuses params that are not a JSON object, for every evaluator', () => {
    for (const evaluator of EVALUATORS.values()) {
      for (const bad of ['[]', '"x"', '{', 'null']) {
        expect(() => evaluator.parseParams(bad)).toThrow(InvalidArgumentError);
      }
    }
  });

  it('gives every evaluator a score within 0..1 and a reason, on every kind of answer', async () => {
    const judge = { judge: async () => ({ text: 'SCORE: 0.5\nREASON: Middling.' }) };
    for (const outputText of ANSWERS) {
      const inference = evaluatedInference(outputText, {
        reference: contracts.Reference.fromPartial({ answer: '42', context: ['Monday'] }),
        guardrails: contracts.GuardrailReport.fromPartial({ outputPiiCounts: { PERSON: 1 } }),
        serviceLevel: router.ServiceLevel.fromPartial({ maxLatency: durationFromMs(100) }),
      });
      for (const [id, evaluator] of EVALUATORS) {
        const verdict = await run(evaluator, inference, PARAMS[id], { judge });
        expect(verdict).not.toHaveProperty('skipped');
        const { score, reason } = verdict as { score: number; reason: string };
        expect([id, score >= 0 && score <= 1]).toEqual([id, true]);
        expect([id, reason.length > 0]).toEqual([id, true]);
      }
    }
  });
});
