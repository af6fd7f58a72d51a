import { common, inference, router } from '@keel/contracts';
import { effectiveGuardrails } from './effective';
import { RequestGuard } from './request-guard';
import { ContentBlockedError } from './safety';

const EMAIL = 'dana.kowalski@example.com';
const CARD = '4111 1111 1111 1111';
const user = (content: string) =>
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });
const guardOf = (guardrails: router.Guardrails, messages: common.ChatMessage[]) =>
  new RequestGuard(
    effectiveGuardrails(router.KeelFunction.fromPartial({ guardrails }), null),
    messages,
  );
const pii = (redactUpstream: boolean, types: router.PiiType[] = []) =>
  router.Guardrails.fromPartial({ pii: { redactUpstream, types } });
const withFallback = router.Guardrails.fromPartial({ fallback: { text: 'Sorry.' } });

describe('RequestGuard', () => {
  const messages = [user(`Write to ${EMAIL} about card ${CARD}.`)];

  it('changes nothing and reports nothing when no guardrail is on', () => {
    const guard = guardOf(router.Guardrails.fromPartial({}), messages);
    expect(guard.upstreamMessages).toBe(messages);
    expect(guard.recordedMessages).toBe(messages);
    expect(guard.guardrailReport()).toBeUndefined();
    expect(guard.recordedOutput(`Sent to ${EMAIL}.`, []).text).toBe(`Sent to ${EMAIL}.`);
  });

  it('records redacted messages with counts, and sends the originals upstream unless asked', () => {
    const guard = guardOf(pii(false), messages);
    expect(guard.upstreamMessages).toBe(messages);
    expect(guard.recordedMessages.map((m) => m.content)).toEqual([
      'Write to <EMAIL_ADDRESS> about card <CREDIT_CARD>.',
    ]);
    expect(guard.guardrailReport()).toMatchObject({
      inputPiiCounts: { EMAIL_ADDRESS: 1, CREDIT_CARD: 1 },
      redacted: true,
      redactedUpstream: false,
    });
    expect(guardOf(pii(true), messages).upstreamMessages).toEqual(guard.recordedMessages);
  });

  it('redacts only the types asked for', () => {
    const guard = guardOf(pii(false, [router.PiiType.PII_TYPE_EMAIL_ADDRESS]), messages);
    expect(guard.recordedMessages[0].content).toBe(`Write to <EMAIL_ADDRESS> about card ${CARD}.`);
  });

  it('keeps only the redacted answer for repeats, counting the output once', () => {
    const guard = guardOf(pii(false), messages);
    const answer = inference.CompleteResponse.fromPartial({ text: `Sent to ${EMAIL}.` });
    expect(guard.recordedOutput(answer.text, []).text).toBe('Sent to <EMAIL_ADDRESS>.');
    expect(guard.forRepeats(answer).text).toBe('Sent to <EMAIL_ADDRESS>.');
    expect(guard.guardrailReport()?.outputPiiCounts).toEqual({ EMAIL_ADDRESS: 1 });
  });

  it('answers the fallback when every model failed, unless the caller left', () => {
    const guard = guardOf(withFallback, messages);
    expect(guard.ending(null, null)).toMatchObject({
      fallbackText: 'Sorry.',
      output: { text: 'Sorry.', toolCalls: [] },
      failed: true,
    });
    expect(guard.ending(null, 'cancelled')).toMatchObject({ fallbackText: null, failed: false });
    expect(guard.ending(null, 'deadline').fallbackText).toBeNull();
  });

  it('answers the fallback for a block, but not once a stream delivered part of its answer', () => {
    const guard = guardOf(withFallback, messages);
    const block = new ContentBlockedError('output', ['VIOLENCE']);
    const answer = { text: 'generated', toolCalls: [] };
    expect(guard.ending(answer, null, block, false)).toMatchObject({
      block,
      fallbackText: 'Sorry.',
    });
    expect(guard.ending(answer, null, block, true)).toMatchObject({
      block,
      fallbackText: null,
      output: answer,
      failed: true,
    });
    expect(guard.ending(answer, null)).toMatchObject({
      block: null,
      fallbackText: null,
      failed: false,
    });
  });
});

describe('ContentBlockedError', () => {
  it('names the side and the categories, for the caller and for the report', () => {
    const error = new ContentBlockedError('input', ['SELF_HARM', 'VIOLENCE']);
    expect(error.message).toBe('content_safety: input flagged as SELF_HARM, VIOLENCE');
    expect(error.blockedBy).toBe('content_safety.input: SELF_HARM, VIOLENCE');
  });
});
