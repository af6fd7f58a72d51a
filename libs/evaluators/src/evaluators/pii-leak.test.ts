import { inference } from '@keel/contracts';
import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { piiLeak } from './pii-leak';

const withGuardrails = (report: Partial<inference.GuardrailReport>) =>
  evaluatedInference('[EMAIL_ADDRESS] will get the receipt.', {
    guardrails: inference.GuardrailReport.fromPartial(report),
  });

describe('pii_leak@1', () => {
  it('fails an output with PII counts, naming the types in the label', async () => {
    const verdict = await run(
      piiLeak,
      withGuardrails({ outputPiiCounts: { PHONE_NUMBER: 1, EMAIL_ADDRESS: 2 }, redacted: true }),
    );
    expect(verdict).toEqual({
      score: 0,
      label: 'EMAIL_ADDRESS+PHONE_NUMBER',
      reason: 'The output contained 2 EMAIL_ADDRESS, 1 PHONE_NUMBER (redacted before delivery).',
      failed: true,
    });
  });

  it('passes an output without PII, whatever the input held', async () => {
    const verdict = await run(piiLeak, withGuardrails({ inputPiiCounts: { EMAIL_ADDRESS: 1 } }));
    expect(verdict).toMatchObject({ score: 1, label: 'no_pii', failed: false });
  });

  it('ignores zero counts', async () => {
    const verdict = await run(piiLeak, withGuardrails({ outputPiiCounts: { EMAIL_ADDRESS: 0 } }));
    expect(verdict).toMatchObject({ label: 'no_pii' });
  });

  it('skips an inference with no guardrail report', async () => {
    expect(await run(piiLeak, evaluatedInference('a@b.example'))).toEqual({
      skipped: 'no_guardrail_report',
    });
  });

  it('takes no params', () => {
    expect(() => piiLeak.parseParams('{"types":["EMAIL_ADDRESS"]}')).toThrow(
      expect.objectContaining({ field: 'params_json.types' }),
    );
  });
});
