import { findPersons } from './person';

const named = (text: string) => findPersons(text).map((s) => text.slice(s.start, s.end));

describe('findPersons', () => {
  it("takes a first name less sure than its surname into the surname's span", () => {
    // "Jennifer" after "on" scores under the threshold on its own.
    expect(named('Notes on Jennifer Walsh')).toEqual(['Jennifer Walsh']);
  });

  it('finds a full name whole before punctuation', () => {
    expect(named('Done: Jennifer Walsh (account 42) is updated.')).toEqual(['Jennifer Walsh']);
    expect(named('Please update the account of Jennifer Walsh: email on file.')).toEqual([
      'Jennifer Walsh',
    ]);
  });

  it('does not join a capitalised word that is no name to a name beside it', () => {
    expect(named('Call Maria Lopez at 5.')).toEqual(['Maria Lopez']);
  });

  it('finds no span where no word is surely a name', () => {
    expect(named('Notes on the meeting about the Budget Review.')).toEqual([]);
  });
});
