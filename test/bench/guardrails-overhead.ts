// What the guardrails add to one request's path, in-process: the input guard (PII redaction
// and the input safety check of every message) and the output's (redaction for the record and
// the safety check of the whole answer), for a typical conversation, by configuration.
//   npm run bench:guardrails [-- --requests 2000]
import { parseArgs } from 'node:util';
import { common, router } from '@keel/contracts';
import { effectiveGuardrails } from '../../services/inference/src/guardrails/effective';
import { RequestGuard } from '../../services/inference/src/guardrails/request-guard';
import { warmGuardrails } from '../../services/inference/src/guardrails/warm';

const { SAFETY_ACTION_BLOCK: BLOCK } = router.SafetyAction;
const SYSTEM = (
  'You are the support assistant of an online shop. Answer in two or three short paragraphs, ' +
  'name the settings page the customer needs, never promise refunds, and hand over to a person ' +
  'when the customer asks for one. Keep a friendly, plain tone. '
).repeat(3);
const USER =
  'Hello, this is Jennifer Walsh. My order 48213 has not arrived and the tracking page has not ' +
  'changed since Monday. You can reach me at dana.kowalski@example.com or +1 415 555 0132. I ' +
  'paid with my card 4111 1111 1111 1111 and would like to know whether it was charged twice.';
const ANSWER = (
  'Thank you for reaching out, and sorry for the wait. I checked order 48213: the carrier ' +
  'received the parcel on Monday and its next scan is expected tomorrow, so it is on its way. ' +
  'Your card was charged once; the second line you see is a pending authorisation that your ' +
  'bank releases within five working days. '
).repeat(3);
const messages = [
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_SYSTEM, content: SYSTEM }),
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content: USER }),
];

const safety = { inputAction: BLOCK, outputAction: BLOCK, categories: [] };
const configurations: Record<string, router.Guardrails> = {
  none: router.Guardrails.fromPartial({}),
  'limits + fallback': router.Guardrails.fromPartial({
    limits: { maxMessages: 50 },
    fallback: { text: 'Sorry.' },
  }),
  pii: router.Guardrails.fromPartial({ pii: {} }),
  'content safety (both sides, block)': router.Guardrails.fromPartial({ contentSafety: safety }),
  'pii + content safety': router.Guardrails.fromPartial({ pii: {}, contentSafety: safety }),
};

function main(): void {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } });
  const requests = Number(values.requests);
  warmGuardrails();
  console.log(
    `${requests} requests: input ${SYSTEM.length + USER.length} characters, answer ${ANSWER.length}`,
  );
  for (const [name, parts] of Object.entries(configurations)) {
    const guardrails = effectiveGuardrails(
      router.KeelFunction.fromPartial({ guardrails: parts }),
      null,
    );
    const timings: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      const guard = new RequestGuard(guardrails, messages);
      guard.ending({ text: ANSWER, toolCalls: [] }, null);
      guard.guardrailReport();
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))];
    const mean = timings.reduce((sum, t) => sum + t, 0) / timings.length;
    console.log(
      `${name.padEnd(36)} mean ${mean.toFixed(3)} ms  p50 ${at(0.5).toFixed(3)} ms  ` +
        `p99 ${at(0.99).toFixed(3)} ms`,
    );
  }
}

main();
