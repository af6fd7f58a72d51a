import { EVALUATORS } from './index';
import { answerLength } from './length';
import { nonEmpty } from './non-empty';

const words = (count: number) => Array.from({ length: count }, (_, i) => `word${i}`).join(' ');

describe('non_empty@1', () => {
  it.each([
    ['an answer', 'Your order ships on Monday.'],
    ['a single character', 'k'],
    ['punctuation only', '…'],
    ['text inside whitespace', '\n\t  ok  \n'],
  ])('scores %s 1', (_case, outputText) => {
    expect(nonEmpty.evaluate({ outputText })).toEqual({ score: 1, label: 'non_empty' });
  });

  it.each([
    ['nothing', ''],
    ['spaces and newlines', '  \n\t \r\n'],
    ['Unicode spaces (no-break, ideographic)', '\u00a0\u3000\u2003'],
  ])('scores %s 0', (_case, outputText) => {
    expect(nonEmpty.evaluate({ outputText })).toEqual({ score: 0, label: 'empty' });
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
  ])('labels %s as %s', (_case, label, score, outputText) => {
    expect(answerLength.evaluate({ outputText })).toEqual({ score, label });
  });

  it('counts words, not spaces or punctuation', () => {
    // 19 words however they are spaced and punctuated.
    const spaced = `  ${words(19).split(' ').join(' ,  \n- ')} !!! `;
    expect(answerLength.evaluate({ outputText: spaced }).label).toBe('short');
    expect(answerLength.evaluate({ outputText: `${spaced} one-more` }).label).toBe('medium');
  });

  it('counts the words of a script written without spaces', () => {
    // 30 short Chinese sentences: one "word" if split on whitespace, far more than 20 here.
    const chinese = '我喜欢吃苹果。'.repeat(30);
    expect(answerLength.evaluate({ outputText: chinese }).label).toBe('medium');
  });

  it('calls text with no word in it short, not empty', () => {
    expect(answerLength.evaluate({ outputText: '¯\\_(ツ)_/¯ …' })).toEqual({
      score: 1,
      label: 'short',
    });
  });
});

describe('EVALUATORS', () => {
  it('runs non_empty@1 and length@1, each id naming its version once', () => {
    const ids = EVALUATORS.map((evaluator) => evaluator.id);
    expect(ids).toEqual(['non_empty@1', 'length@1']);
    expect(ids.every((id) => /^[a-z_]+@\d+$/.test(id))).toBe(true);
  });

  it('scores within 0..1', () => {
    for (const evaluator of EVALUATORS) {
      for (const outputText of ['', 'a', words(300)]) {
        const { score } = evaluator.evaluate({ outputText });
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }
    }
  });
});
