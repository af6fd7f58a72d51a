import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { regex } from './regex';

describe('regex@1', () => {
  it('scores 1 when the answer matches the pattern', async () => {
    const verdict = await run(
      regex,
      evaluatedInference('Order #A-1234 ships Monday.'),
      '{"pattern":"#[A-Z]-\\\\d{4}"}',
    );
    expect(verdict).toMatchObject({ score: 1, label: 'match', failed: false });
  });

  it('fails when it does not match', async () => {
    const verdict = await run(
      regex,
      evaluatedInference('Order ships Monday.'),
      '{"pattern":"#[A-Z]-\\\\d{4}"}',
    );
    expect(verdict).toMatchObject({ score: 0, label: 'no_match', failed: true });
  });

  it('applies the i, m and s flags', async () => {
    const inference = evaluatedInference('first line\nSECOND line');
    expect(await run(regex, inference, '{"pattern":"^second"}')).toMatchObject({
      label: 'no_match',
    });
    expect(await run(regex, inference, '{"pattern":"^second","flags":"im"}')).toMatchObject({
      label: 'match',
    });
    expect(await run(regex, inference, '{"pattern":"line.SECOND","flags":"s"}')).toMatchObject({
      label: 'match',
    });
  });

  it('fails a forbidden pattern that matches when expect is no_match', async () => {
    const params = '{"pattern":"(?i)as an ai","expect":"no_match"}';
    expect(await run(regex, evaluatedInference('As an AI, I think…'), params)).toMatchObject({
      score: 0,
      label: 'match',
      failed: true,
    });
    expect(await run(regex, evaluatedInference('I think…'), params)).toMatchObject({
      score: 1,
      failed: false,
    });
  });

  it('runs a pattern that backtracks catastrophically in JavaScript in linear time', async () => {
    // (a+)+$ on a run of a's then a b takes exponential time with backtracking; RE2 is linear.
    const verdict = await run(
      regex,
      evaluatedInference(`${'a'.repeat(30_000)}b`),
      '{"pattern":"(a+)+$"}',
    );
    expect(verdict).toMatchObject({ label: 'no_match' });
  });

  it.each([
    ['{}', 'params_json.pattern', /required/],
    ['{"pattern":""}', 'params_json.pattern', /fewer than 1/],
    ['{"pattern":"(a)\\\\1"}', 'params_json.pattern', /not an RE2 pattern/],
    ['{"pattern":"(?=a)"}', 'params_json.pattern', /not an RE2 pattern/],
    ['{"pattern":"[a-"}', 'params_json.pattern', /not an RE2 pattern/],
    [`{"pattern":"${'a'.repeat(1001)}"}`, 'params_json.pattern', /more than 1000/],
    ['{"pattern":"a","flags":"g"}', 'params_json.flags', /pattern/],
    ['{"pattern":"a","expect":"maybe"}', 'params_json.expect', /one of "match", "no_match"/],
  ])('refuses %s, naming %s', (params, field, problem) => {
    expect(() => regex.parseParams(params)).toThrow(
      expect.objectContaining({ field, message: expect.stringMatching(problem) }),
    );
  });
});
