import { MAX_REFERENCE_CONTEXTS, validateReference } from './reference';

const reference = (answer: string, context: string[] = []) => ({ answer, context });

describe('validateReference', () => {
  it('accepts no reference, an answer alone, and 64 passages within the size', () => {
    expect(() => validateReference(undefined, 10)).not.toThrow();
    expect(() => validateReference(reference('42'), 10)).not.toThrow();
    const passages = Array.from({ length: MAX_REFERENCE_CONTEXTS }, () => 'p');
    expect(() => validateReference(reference('', passages), 64)).not.toThrow();
  });

  it('refuses a 65th passage, naming reference.context', () => {
    const passages = Array.from({ length: MAX_REFERENCE_CONTEXTS + 1 }, () => 'p');
    expect(() => validateReference(reference('', passages), 1_000)).toThrow(
      'reference.context: 65 passages; at most 64 are allowed',
    );
  });

  it('refuses an empty passage, naming it', () => {
    expect(() => validateReference(reference('a', ['ok', ' \n']), 100)).toThrow(
      'reference.context[1]: must not be empty',
    );
  });

  it('counts the answer and every passage toward the size bound', () => {
    expect(() => validateReference(reference('abc', ['de', 'f']), 6)).not.toThrow();
    expect(() => validateReference(reference('abc', ['de', 'fg']), 6)).toThrow(
      'reference: 7 characters of answer and context; at most 6 are allowed',
    );
  });
});
