import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { answerLength } from './length-v2';

describe('length@2', () => {
  it('passes an answer within the word limits', async () => {
    const verdict = await run(
      answerLength,
      evaluatedInference('Ships on Monday.'),
      '{"min_words":2,"max_words":5}',
    );
    expect(verdict).toEqual({
      score: 1,
      label: 'within',
      reason: '3 words: within the limits.',
      failed: false,
    });
  });

  it('fails an answer over max_words, scoring max / length', async () => {
    const verdict = await run(
      answerLength,
      evaluatedInference('one two three four five six seven eight'),
      '{"max_words":4}',
    );
    expect(verdict).toEqual({
      score: 0.5,
      label: 'too_long',
      reason: '8 words, over the maximum 4.',
      failed: true,
    });
  });

  it('fails an answer under min_words, scoring length / min', async () => {
    const verdict = await run(answerLength, evaluatedInference('Yes.'), '{"min_words":4}');
    expect(verdict).toMatchObject({ score: 0.25, label: 'too_short', failed: true });
  });

  it('counts characters as a reader sees them: an emoji or an accented letter is one', async () => {
    const answer = 'Ok 👍🏽 café';
    expect(await run(answerLength, evaluatedInference(answer), '{"max_chars":9}')).toMatchObject({
      label: 'within',
      reason: '9 characters: within the limits.',
    });
    expect(await run(answerLength, evaluatedInference(answer), '{"max_chars":8}')).toMatchObject({
      label: 'too_long',
    });
  });

  it('checks words and characters together', async () => {
    const params = '{"max_words":10,"min_chars":20}';
    expect(await run(answerLength, evaluatedInference('Short one.'), params)).toMatchObject({
      label: 'too_short',
      reason: '10 characters, under the minimum 20.',
    });
  });

  it.each([
    ['{}', 'params_json', /fewer than 1/],
    ['{"max_words":0}', 'params_json.max_words', />= 1/],
    ['{"min_chars":1.5}', 'params_json.min_chars', /integer/],
    ['{"min_words":10,"max_words":5}', 'params_json.min_words', /at most max_words \(5\)/],
    ['{"max_lines":3}', 'params_json.max_lines', /not a parameter/],
  ])('refuses %s, naming %s', (params, field, problem) => {
    expect(() => answerLength.parseParams(params)).toThrow(
      expect.objectContaining({ field, message: expect.stringMatching(problem) }),
    );
  });
});
