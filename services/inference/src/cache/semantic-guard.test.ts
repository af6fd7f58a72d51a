import { askedDetails, sameDetails } from './semantic-guard';

const same = (a: string, b: string) => sameDetails(askedDetails(a), askedDetails(b));

describe('askedDetails', () => {
  it('reads numbers as digits or words, normalised, and leaves sentence ends out of them', () => {
    expect(
      askedDetails('She paid $1,200.50 for 3 chairs, then half as much. Total 12.').numbers,
    ).toEqual(['0.5', '12', '1200.5', '3']);
    expect(askedDetails('Twelve eggs and a dozen more on the 3rd day').numbers).toEqual([
      '12',
      '12',
      '3rd',
    ]);
  });

  it('counts negations, contractions included', () => {
    expect(askedDetails("Isn't it true that no one never came?").negations).toBe(3);
    expect(askedDetails('Is it true that someone came?').negations).toBe(0);
  });

  it('takes capitalised words inside a sentence for names, not a word that opens one', () => {
    const details = askedDetails('Altogether, how far is Paris from Berlin? Tom asks.');
    expect(details.names).toEqual(['berlin', 'paris']);
  });
});

describe('sameDetails', () => {
  const question =
    'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?';

  it('holds for a paraphrase: clauses reordered, words replaced', () => {
    expect(
      same(
        question,
        'In April Natalia sold clips to 48 of her friends, and in May she sold half as many. Altogether, how many clips did Natalia sell in April and May?',
      ),
    ).toBe(true);
  });

  it('fails when one number changes, or is written differently as another number', () => {
    expect(same(question, question.replace('48', '56'))).toBe(false);
    expect(same(question, question.replace('half', 'a third'))).toBe(false);
  });

  it('fails for a negation', () => {
    expect(
      same('Is the reset email valid for one hour?', 'Is the reset email not valid for one hour?'),
    ).toBe(false);
    expect(same('Can I return shoes?', "Can't I return shoes?")).toBe(false);
  });

  it('fails when a name is replaced', () => {
    expect(same('How far is it from Paris to Berlin?', 'How far is it from Paris to Madrid?')).toBe(
      false,
    );
  });
});
