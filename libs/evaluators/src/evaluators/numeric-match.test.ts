import { evaluatedInference, run, withReference } from '../evaluated-inference.fixture';
import { numericMatch } from './numeric-match';

const GSM8K_REFERENCE =
  'Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18';

describe('numeric_match@1', () => {
  it("scores 1 when the answer's final number equals the reference's", async () => {
    const answer = 'She has 16 - 7 = 9 eggs to sell, so she makes 9 * $2 = $18.00 every day.';
    expect(await run(numericMatch, withReference(answer, { answer: GSM8K_REFERENCE }))).toEqual({
      score: 1,
      label: 'match',
      reason: 'The final number 18 equals the reference.',
      failed: false,
    });
  });

  it('reads a bare reference number', async () => {
    const inference = withReference('#### 1,234', { answer: '1234' });
    expect(await run(numericMatch, inference)).toMatchObject({ label: 'match' });
  });

  it('fails a different final number, naming both', async () => {
    const answer = 'She sells 16 - 3 = 13 eggs, making 13 * $2 = $26.';
    expect(await run(numericMatch, withReference(answer, { answer: GSM8K_REFERENCE }))).toEqual({
      score: 0,
      label: 'mismatch',
      reason: 'The final number 26 differs from 18.',
      failed: true,
    });
  });

  it('fails an answer with no number', async () => {
    const inference = withReference('I am not sure.', { answer: '18' });
    expect(await run(numericMatch, inference)).toMatchObject({ label: 'no_number', failed: true });
  });

  it('counts numbers within the tolerance as equal', async () => {
    const inference = withReference('About 3.14159.', { answer: '3.1416' });
    expect(await run(numericMatch, inference)).toMatchObject({ label: 'mismatch' });
    expect(await run(numericMatch, inference, '{"tolerance":0.001}')).toMatchObject({
      label: 'match',
    });
  });

  it('skips without a reference, or with one that has no number', async () => {
    expect(await run(numericMatch, evaluatedInference('18'))).toEqual({ skipped: 'no_reference' });
    expect(await run(numericMatch, withReference('18', { answer: 'eighteen' }))).toEqual({
      skipped: 'reference_not_numeric',
    });
  });

  it('refuses a negative tolerance, naming the field', () => {
    expect(() => numericMatch.parseParams('{"tolerance":-1}')).toThrow(
      expect.objectContaining({
        field: 'params_json.tolerance',
        message: expect.stringContaining('>= 0'),
      }),
    );
  });
});
