// length@1 and non_empty@1 are stored in production: their labels and scores must not move.
import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { answerLengthV1 } from './length-v1';
import { nonEmpty } from './non-empty';

const words = (count: number) => Array.from({ length: count }, (_, i) => `word${i}`).join(' ');
const scoreAndLabel = async (evaluator: typeof nonEmpty, text: string) => {
  const verdict = await run(evaluator, evaluatedInference(text));
  return {
    score: (verdict as { score: number }).score,
    label: (verdict as { label: string }).label,
  };
};

describe('non_empty@1', () => {
  it.each([
    ['an answer', 'Your order ships on Monday.'],
    ['a single character', 'k'],
    ['punctuation only', '…'],
    ['text inside whitespace', '\n\t  ok  \n'],
  ])('scores %s 1', async (_case, text) => {
    expect(await run(nonEmpty, evaluatedInference(text))).toMatchObject({
      score: 1,
      label: 'non_empty',
      failed: false,
    });
  });

  it.each([
    ['nothing', ''],
    ['spaces and newlines', '  \n\t \r\n'],
    ['Unicode spaces (no-break, ideographic)', '\u00a0\u3000\u2003'],
  ])('scores %s 0 and fails it', async (_case, text) => {
    expect(await run(nonEmpty, evaluatedInference(text))).toMatchObject({
      score: 0,
      label: 'empty',
      failed: true,
    });
  });
});

describe('non_empty@1 params', () => {
  it('takes none', () => {
    expect(() => nonEmpty.parseParams('{"trim":true}')).toThrow(
      expect.objectContaining({ field: 'params_json.trim' }),
    );
  });
});

describe('length@1', () => {
  it.each([
    ['nothing', 'empty', 0, ''],
    ['whitespace', 'empty', 0, ' \n '],
    ['one word', 'short', 1, 'Yes.'],
    ['19 words', 'short', 1, words(19)],
    ['20 words', 'medium', 1, words(20)],
    ['199 words', 'medium', 1, words(199)],
    ['200 words', 'long', 1, words(200)],
    ['5,000 words', 'long', 1, words(5_000)],
  ])('labels %s as %s', async (_case, label, score, text) => {
    expect(await scoreAndLabel(answerLengthV1, text)).toEqual({ score, label });
  });

  it('counts words, not spaces or punctuation', async () => {
    const spaced = `  ${words(19).split(' ').join(' ,  \n- ')} !!! `;
    expect(await scoreAndLabel(answerLengthV1, spaced)).toMatchObject({ label: 'short' });
    expect(await scoreAndLabel(answerLengthV1, `${spaced} one-more`)).toMatchObject({
      label: 'medium',
    });
  });

  it('counts the words of a script written without spaces', async () => {
    const chinese = '我喜欢吃苹果。'.repeat(30);
    expect(await scoreAndLabel(answerLengthV1, chinese)).toMatchObject({ label: 'medium' });
  });

  it('fails only an empty answer: no length is wrong for every function', async () => {
    expect(await run(answerLengthV1, evaluatedInference(''))).toMatchObject({ failed: true });
    expect(await run(answerLengthV1, evaluatedInference(words(5_000)))).toMatchObject({
      failed: false,
    });
  });

  it('takes no params', () => {
    expect(() => answerLengthV1.parseParams('{"max_words":5}')).toThrow(
      expect.objectContaining({ field: 'params_json.max_words' }),
    );
  });
});
