import { router } from '@keel/contracts';
import { validateGuardrails } from './guardrails';

const { PII_TYPE_EMAIL_ADDRESS, PII_TYPE_PERSON } = router.PiiType;

describe('validateGuardrails', () => {
  it('keeps unset guardrails and unset parts unset', () => {
    expect(validateGuardrails(undefined, 'guardrails')).toBeUndefined();
    expect(
      validateGuardrails(
        router.Guardrails.fromPartial({ fallback: { text: 'Sorry.' } }),
        'guardrails',
      ),
    ).toEqual({
      limits: undefined,
      pii: undefined,
      contentSafety: undefined,
      fallback: { text: 'Sorry.' },
    });
  });

  it('drops repeated enum values, keeping the first order', () => {
    const checked = validateGuardrails(
      router.Guardrails.fromPartial({
        pii: { types: [PII_TYPE_PERSON, PII_TYPE_EMAIL_ADDRESS, PII_TYPE_PERSON] },
      }),
      'settings.guardrails',
    );
    expect(checked?.pii?.types).toEqual([PII_TYPE_PERSON, PII_TYPE_EMAIL_ADDRESS]);
  });

  it('names the field under the prefix it is given', () => {
    expect(() =>
      validateGuardrails(
        router.Guardrails.fromPartial({ limits: { maxMessages: -1 } }),
        'settings.guardrails',
      ),
    ).toThrow(
      expect.objectContaining({
        field: 'settings.guardrails.limits.max_messages',
        kind: 'INVALID_ARGUMENT',
      }),
    );
  });

  it('counts fallback characters, not UTF-16 units', () => {
    const emoji = '🙂'.repeat(4_000); // 8,000 UTF-16 units
    const checked = validateGuardrails(
      router.Guardrails.fromPartial({ fallback: { text: emoji } }),
      'guardrails',
    );
    expect(checked?.fallback?.text).toBe(emoji);
  });
});
