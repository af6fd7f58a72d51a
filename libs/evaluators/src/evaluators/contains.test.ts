import { evaluatedInference, run, withReference } from '../evaluated-inference.fixture';
import { contains } from './contains';

describe('contains@1', () => {
  it('looks for the reference answer when no text is given, ignoring case', async () => {
    const inference = withReference('Your order ships on MONDAY morning.', { answer: 'monday' });
    expect(await run(contains, inference)).toMatchObject({
      score: 1,
      label: 'contains',
      failed: false,
    });
  });

  it('fails when the reference answer is absent', async () => {
    const inference = withReference('Your order ships on Tuesday.', { answer: 'Monday' });
    expect(await run(contains, inference)).toMatchObject({
      score: 0,
      label: 'missing',
      failed: true,
    });
  });

  it('needs every text of a list by default, scoring the share found', async () => {
    const inference = evaluatedInference('Refunds take 5 days; contact support.');
    const verdict = await run(
      contains,
      inference,
      '{"text":["refund","support","invoice","receipt"]}',
    );
    expect(verdict).toMatchObject({ score: 0.5, label: 'missing', failed: true });
    expect(verdict).toHaveProperty('reason', expect.stringContaining('"invoice", "receipt"'));
  });

  it('passes with any one text of a list when match is any', async () => {
    const inference = evaluatedInference('Contact support.');
    const params = '{"text":["refund","support"],"match":"any"}';
    expect(await run(contains, inference, params)).toMatchObject({ score: 1, label: 'contains' });
    const none = '{"text":["refund","invoice"],"match":"any"}';
    expect(await run(contains, inference, none)).toMatchObject({ score: 0, label: 'missing' });
  });

  it('matches case when case_sensitive is true', async () => {
    const inference = evaluatedInference('see the faq');
    expect(await run(contains, inference, '{"text":"FAQ","case_sensitive":true}')).toMatchObject({
      label: 'missing',
    });
  });

  it('runs with its own text when there is no reference, and skips without either', async () => {
    expect(await run(contains, evaluatedInference('hello'), '{"text":"hell"}')).toMatchObject({
      label: 'contains',
    });
    expect(await run(contains, evaluatedInference('hello'))).toEqual({ skipped: 'no_reference' });
  });

  it.each([
    ['{"text":5}', 'params_json.text'],
    ['{"text":[]}', 'params_json.text'],
    ['{"text":["ok",""]}', 'params_json.text'],
    ['{"match":"some"}', 'params_json.match'],
    ['{"text":"a","extra":1}', 'params_json.extra'],
  ])('refuses %s, naming %s', (params, field) => {
    expect(() => contains.parseParams(params)).toThrow(expect.objectContaining({ field }));
  });
});
