import { run, withReference, evaluatedInference } from '../evaluated-inference.fixture';
import { exact } from './exact';

describe('exact@1', () => {
  it('scores 1 when the answer equals the reference answer, surrounding whitespace trimmed', async () => {
    expect(await run(exact, withReference('  Paris\n', { answer: 'Paris' }))).toEqual({
      score: 1,
      label: 'match',
      reason: 'The answer equals the reference answer.',
      failed: false,
    });
  });

  it('fails a different answer and names the reference in the reason', async () => {
    const verdict = await run(exact, withReference('Lyon', { answer: 'Paris' }));
    expect(verdict).toMatchObject({ score: 0, label: 'mismatch', failed: true });
    expect(verdict).toHaveProperty('reason', expect.stringContaining('"Paris"'));
  });

  it('is case-sensitive by default and folds case when case_sensitive is false', async () => {
    const inference = withReference('paris', { answer: 'Paris' });
    expect(await run(exact, inference)).toMatchObject({ label: 'mismatch' });
    expect(await run(exact, inference, '{"case_sensitive":false}')).toMatchObject({
      label: 'match',
    });
  });

  it('keeps whitespace when trim is false', async () => {
    const inference = withReference('Paris ', { answer: 'Paris' });
    expect(await run(exact, inference, '{"trim":false}')).toMatchObject({ label: 'mismatch' });
  });

  it('treats composed and decomposed accents as equal (NFC)', async () => {
    const verdict = await run(exact, withReference('Cafe\u0301', { answer: 'Caf\u00e9' }));
    expect(verdict).toMatchObject({ label: 'match' });
  });

  it('skips an inference without a reference answer', async () => {
    expect(await run(exact, evaluatedInference('Paris'))).toEqual({ skipped: 'no_reference' });
    expect(await run(exact, withReference('Paris', { answer: '' }))).toEqual({
      skipped: 'no_reference',
    });
  });

  it('refuses params of the wrong type, naming the field', () => {
    expect(() => exact.parseParams('{"trim":"yes"}')).toThrow(
      expect.objectContaining({
        field: 'params_json.trim',
        message: expect.stringContaining('boolean'),
      }),
    );
    expect(() => exact.parseParams('{"casesensitive":true}')).toThrow(
      expect.objectContaining({ field: 'params_json.casesensitive' }),
    );
  });

  it('refuses evaluate on an inference it would skip', () => {
    expect(() => exact.evaluate(evaluatedInference('Paris'), exact.parseParams(''), {})).toThrow(
      /no_reference/,
    );
  });
});
