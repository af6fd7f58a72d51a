import { router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { checkInputTokens, checkMessageCount, outputTokensWithin } from './limits';

const limits = router.GuardrailLimits.fromPartial({
  maxInputTokens: 2000n,
  maxMessages: 5,
  maxOutputTokens: 1024,
});
const none = router.GuardrailLimits.fromPartial({});

function refusal(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('the guardrail limits', () => {
  it('refuses more messages than max_messages, naming the field, the count and the limit', () => {
    expect(() => checkMessageCount(limits, 5)).not.toThrow();
    const error = refusal(() => checkMessageCount(limits, 7));
    expect(error.field).toBe('messages');
    expect(error.message).toBe("messages: 7 messages, more than this function's limit of 5");
  });

  it('refuses more input tokens than max_input_tokens', () => {
    expect(() => checkInputTokens(limits, 2000)).not.toThrow();
    expect(refusal(() => checkInputTokens(limits, 2001)).message).toBe(
      "messages: 2001 input tokens, more than this function's limit of 2000",
    );
  });

  it('refuses a requested max_tokens over max_output_tokens', () => {
    const asked = { requested: 4000, variantName: 'v1', variantDefault: 0, resolved: 4000 };
    expect(refusal(() => outputTokensWithin(limits, asked)).message).toBe(
      "max_tokens: 4000 is over this function's limit of 1024",
    );
    expect(outputTokensWithin(limits, { ...asked, requested: 1024, resolved: 1024 })).toBe(1024);
  });

  it("refuses a variant's default over max_output_tokens, saying what to set", () => {
    const asked = { requested: 0, variantName: 'v1', variantDefault: 2048, resolved: 2048 };
    expect(refusal(() => outputTokensWithin(limits, asked)).message).toBe(
      "max_tokens: not set, and variant 'v1' defaults to 2048, over this function's limit of " +
        '1024: set max_tokens to at most 1024',
    );
  });

  it("cuts Keel's own default to max_output_tokens when neither request nor variant sets one", () => {
    const asked = { requested: 0, variantName: 'v1', variantDefault: 0, resolved: 512 };
    const tight = router.GuardrailLimits.fromPartial({ maxOutputTokens: 100 });
    expect(outputTokensWithin(tight, asked)).toBe(100);
  });

  it('bounds nothing when a limit is 0 or the part is unset', () => {
    const asked = { requested: 100_000, variantName: 'v1', variantDefault: 0, resolved: 100_000 };
    for (const unbounded of [none, undefined]) {
      expect(() => checkMessageCount(unbounded, 10_000)).not.toThrow();
      expect(() => checkInputTokens(unbounded, 10_000_000)).not.toThrow();
      expect(outputTokensWithin(unbounded, asked)).toBe(100_000);
    }
  });
});
