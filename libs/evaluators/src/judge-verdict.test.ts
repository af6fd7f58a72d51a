import { MalformedVerdictError, parseJudgeVerdict } from './judge-verdict';

describe('parseJudgeVerdict', () => {
  it('reads the asked-for format', () => {
    expect(parseJudgeVerdict('SCORE: 0.8\nREASON: Polite and correct, but long.')).toEqual({
      score: 0.8,
      reason: 'Polite and correct, but long.',
    });
  });

  it.each([
    ['lowercase keys and spaces', 'score : 1\nreason :   Fully meets it. ', 1, 'Fully meets it.'],
    [
      'Markdown bold',
      '**Score:** 0.25\n**Reason:** Misses the refund policy.',
      0.25,
      'Misses the refund policy.',
    ],
    [
      'a heading and bullets',
      '### Verdict\n- SCORE = 0.5\n- REASON: Half right.',
      0.5,
      'Half right.',
    ],
    [
      'text before the verdict',
      'Let me check the rubric.\nSCORE: 0\nREASON: Wrong date.',
      0,
      'Wrong date.',
    ],
    ['the reason first', 'REASON: Correct.\nSCORE: 1', 1, 'Correct.'],
    [
      'a multi-line reason',
      'SCORE: .75\nREASON: Right answer;\nbut no source.',
      0.75,
      'Right answer; but no source.',
    ],
    ['a scale', 'SCORE: 8/10\nREASON: Good.', 0.8, 'Good.'],
    ['a scale in words', 'SCORE: 4 out of 5\nREASON: Good.', 0.8, 'Good.'],
    ['a percentage', 'SCORE: 60%\nREASON: Partly.', 0.6, 'Partly.'],
    ['a trailing full stop', 'SCORE: 1.\nREASON: Fine.', 1, 'Fine.'],
    ['the same score twice', 'SCORE: 0.5\nREASON: Meh.\nSCORE: 0.5', 0.5, 'Meh.'],
  ])('reads %s', (_case, reply, score, reason) => {
    expect(parseJudgeVerdict(reply)).toEqual({ score, reason });
  });

  it('allows a missing reason', () => {
    expect(parseJudgeVerdict('SCORE: 1')).toEqual({
      score: 1,
      reason: 'The judge gave no reason.',
    });
  });

  it.each([
    ['an empty reply', '', /no SCORE line/],
    ['prose without a verdict', 'The answer looks good to me.', /no SCORE line/],
    [
      'a score that is a word',
      'SCORE: high\nREASON: Good.',
      /the SCORE is not a number \("high"\)/,
    ],
    ['a bare score above 1', 'SCORE: 8\nREASON: Good.', /SCORE 8 is outside 0\.\.1/],
    ['a negative score', 'SCORE: -0.2\nREASON: Bad.', /outside 0\.\.1/],
    ['a scale of 0', 'SCORE: 3/0', /out of 0/],
    ['scores that disagree', 'SCORE: 0.2\nREASON: No.\nSCORE: 0.9', /disagree \(0\.2, 0\.9\)/],
    ['a score in the middle of a sentence', 'I would give a score: 0.8 maybe', /no SCORE line/],
  ])('throws MalformedVerdictError on %s, never scoring 0', (_case, reply, problem) => {
    expect(() => parseJudgeVerdict(reply)).toThrow(MalformedVerdictError);
    expect(() => parseJudgeVerdict(reply)).toThrow(problem);
  });

  it('keeps the start of the reply on the error for the log', () => {
    try {
      parseJudgeVerdict('Great answer!');
      throw new Error('parsed');
    } catch (error) {
      expect(error).toMatchObject({ kind: 'FAILED_PRECONDITION', reply: 'Great answer!' });
    }
  });
});
