import { groundedness } from './score';
import { wordsOf } from './tokens';

const PASSAGE =
  'Gillette Stadium is a stadium in Foxborough, Massachusetts. It is the home of the New England ' +
  'Patriots.The stadium opened in 2002 and seats 65,878 people.';

describe('groundedness', () => {
  it('scores 1 for a span of the passage', () => {
    expect(groundedness('Gillette Stadium', [PASSAGE])).toEqual({ score: 1, unsupported: [] });
  });

  it('scores 1 for a span framed in a sentence: framing words claim nothing', () => {
    const answer = 'Based on what I know, the answer is Gillette Stadium.';
    expect(groundedness(answer, [PASSAGE]).score).toBe(1);
  });

  it('matches words across inflection, case, accents and thousands separators', () => {
    expect(groundedness('It SEATS 65878 people', [PASSAGE]).score).toBe(1);
    expect(groundedness('Foxboróugh, Massachusetts', [PASSAGE]).score).toBe(1);
  });

  it('reads words that a passage runs together across a full stop', () => {
    // "Patriots.The" in the passage is two words.
    expect(groundedness('The Patriots', [PASSAGE]).score).toBe(1);
  });

  it('lowers the score by the share of words the passage lacks, and names them', () => {
    const { score, unsupported } = groundedness('Patriot Field in Boston', [PASSAGE]);
    expect(unsupported).toEqual(['Field', 'Boston']);
    expect(score).toBeLessThan(0.5);
  });

  it('fails a true word in a false place: a number the passage has, for another fact', () => {
    // 2002 and 65,878 are both in the passage, but the stadium seats 65,878 and opened in 2002.
    const { score, unsupported } = groundedness('The stadium seats 2002 people', [PASSAGE]);
    expect(unsupported).toEqual([]);
    expect(score).toBeLessThan(0.95);
  });

  it('reads every passage given', () => {
    const other = 'The Patriots won six Super Bowls.';
    expect(
      groundedness('six Super Bowls at Gillette Stadium', [PASSAGE, other]).unsupported,
    ).toEqual([]);
  });

  it('scores an answer with no content word 1: it claims nothing', () => {
    expect(groundedness('Yes.', [PASSAGE])).toEqual({ score: 1, unsupported: [] });
  });

  it('scores anything against no passage 0', () => {
    expect(groundedness('Gillette Stadium', []).score).toBe(0);
  });
});

describe('wordsOf', () => {
  it('keeps decimals whole and splits hyphens and run-together sentences', () => {
    expect(wordsOf('El-P sold 1,234.5 units.Then').map((word) => word.text)).toEqual([
      'El',
      'P',
      'sold',
      '1234.5',
      'units',
      'Then',
    ]);
  });
});
