import { common, INFERENCE_TEXT_INLINE_MAX_BYTES } from '@keel/contracts';
import { fitsInline, textBytes } from './bound';

const user = (content: string) =>
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });

describe('the inline bound', () => {
  it('is 64 KiB of text', () => {
    expect(INFERENCE_TEXT_INLINE_MAX_BYTES).toBe(65_536);
  });

  it('counts UTF-8 bytes of every message and the output, not characters', () => {
    // 'é' is 2 bytes, '語' 3, '🎉' 4 (two UTF-16 code units).
    const text = { inputMessages: [user('é'), user('語')], outputText: '🎉 ok' };
    expect(textBytes(text)).toBe(2 + 3 + 4 + 3);
  });

  it('keeps text of exactly the bound inline, and one byte more not', () => {
    const atBound = { inputMessages: [user('a'.repeat(60_000))], outputText: 'b'.repeat(5_536) };
    expect(fitsInline(atBound)).toBe(true);
    expect(fitsInline({ ...atBound, outputText: `${atBound.outputText}b` })).toBe(false);
  });

  it('bounds the input and output together, over every message', () => {
    const half = 'x'.repeat(INFERENCE_TEXT_INLINE_MAX_BYTES / 2);
    expect(fitsInline({ inputMessages: [user(half)], outputText: half })).toBe(true);
    expect(fitsInline({ inputMessages: [user(half), user('y')], outputText: half })).toBe(false);
  });

  it("counts the reference's answer and every context passage", () => {
    const text = {
      inputMessages: [user('ab')],
      outputText: 'c',
      reference: { answer: 'é', context: ['語', 'xyz'] },
    };
    expect(textBytes(text)).toBe(2 + 1 + 2 + 3 + 3);
    const full = 'a'.repeat(INFERENCE_TEXT_INLINE_MAX_BYTES);
    expect(fitsInline({ inputMessages: [user(full)], outputText: '' })).toBe(true);
    expect(
      fitsInline({
        inputMessages: [user(full)],
        outputText: '',
        reference: { answer: '', context: ['p'] },
      }),
    ).toBe(false);
  });

  it('takes a 400,000-character input of 3-byte characters, 1.2 MB, for too large', () => {
    const text = { inputMessages: [user('語'.repeat(400_000))], outputText: '' };
    expect(textBytes(text)).toBe(1_200_000);
    expect(fitsInline(text)).toBe(false);
  });
});

describe('the inline bound with retrieved context', () => {
  it('counts the rendered context the model was given', () => {
    const text = {
      inputMessages: [user('ab')],
      outputText: 'c',
      retrieval: { renderedContext: '[1] 語' },
    };
    expect(textBytes(text)).toBe(2 + 1 + 4 + 3);
    const half = 'x'.repeat(INFERENCE_TEXT_INLINE_MAX_BYTES / 2);
    expect(fitsInline({ inputMessages: [user(half)], outputText: half })).toBe(true);
    expect(
      fitsInline({
        inputMessages: [user(half)],
        outputText: half,
        retrieval: { renderedContext: 'p' },
      }),
    ).toBe(false);
  });
});
