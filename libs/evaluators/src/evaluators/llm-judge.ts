import { common } from '@keel/contracts';
import { FailedPreconditionError } from '@keel/errors';
import { defineEvaluator, verdict } from '../define';
import type { EvaluatedInference } from '../evaluator';
import { parseJudgeVerdict } from '../judge-verdict';

export interface LlmJudgeParams {
  /** What a good answer is, in the tenant's words. */
  rubric: string;
  /** The Keel function that judges (its calls are billed to the tenant like any other). */
  judge_function: string;
  /** A catalog model to pin for the judge; empty: the judge function's routed chain. */
  judge_model: string;
  /** Scores below this fail. */
  pass_threshold: number;
}

/** Each text shown to the judge is cut to this, so one long answer cannot blow its context. */
export const MAX_JUDGED_CHARS = 20_000;
const JUDGE_MAX_TOKENS = 300;

const INSTRUCTIONS = `You grade an AI assistant's answer against a rubric.
Read the conversation, the answer and any reference, then reply with exactly two lines:
SCORE: <a number from 0 (fails the rubric) to 1 (fully meets it)>
REASON: <one sentence saying why>`;

/**
 * A model grades the answer against a rubric. The judge is called through `deps.judge` (Keel's
 * own inference API), told to answer `SCORE: x` / `REASON: …`; a reply without a readable
 * verdict rejects with MalformedVerdictError, never a silent 0.
 */
export const llmJudge = defineEvaluator<LlmJudgeParams>({
  id: 'llm_judge@1',
  description: 'A judge model scores the answer against a rubric (0..1, pass at a threshold).',
  paramsSchema: {
    type: 'object',
    properties: {
      rubric: { type: 'string', minLength: 1, maxLength: 8_000 },
      judge_function: { type: 'string', minLength: 1, maxLength: 256 },
      judge_model: { type: 'string', maxLength: 256, default: '' },
      pass_threshold: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    },
    required: ['rubric', 'judge_function'],
    additionalProperties: false,
  },
  score: async (inference, params, deps) => {
    if (!deps.judge) throw new FailedPreconditionError('llm_judge@1 needs a judge client');
    const reply = await deps.judge.judge({
      inferenceId: inference.inferenceId,
      functionName: params.judge_function,
      model: params.judge_model,
      messages: judgePrompt(inference, params.rubric),
      maxTokens: JUDGE_MAX_TOKENS,
      temperature: 0,
    });
    const { score, reason } = parseJudgeVerdict(reply.text);
    const passed = score >= params.pass_threshold;
    return verdict(score, passed ? 'pass' : 'fail', reason, !passed);
  },
});

/** The judge's messages: instructions and rubric as system, the case to grade as user. */
export function judgePrompt(inference: EvaluatedInference, rubric: string): common.ChatMessage[] {
  const conversation = inference.inputMessages
    .map((message) => `[${roleName(message.role)}] ${cut(message.content)}`)
    .join('\n');
  const answer =
    inference.outputText ||
    inference.toolCalls.map((call) => `${call.name}(${call.argumentsJson})`).join('\n');
  const parts = [`Conversation:\n${conversation}`, `Answer to grade:\n${cut(answer)}`];
  if (inference.reference?.answer)
    parts.push(`Reference answer:\n${cut(inference.reference.answer)}`);
  if (inference.reference?.context.length) {
    parts.push(`Reference context:\n${cut(inference.reference.context.join('\n\n'))}`);
  }
  return [
    message(common.MessageRole.MESSAGE_ROLE_SYSTEM, `${INSTRUCTIONS}\n\nRubric:\n${rubric}`),
    message(common.MessageRole.MESSAGE_ROLE_USER, parts.join('\n\n')),
  ];
}

function message(role: common.MessageRole, content: string): common.ChatMessage {
  return common.ChatMessage.fromPartial({ role, content });
}

function roleName(role: common.MessageRole): string {
  // The enum's reverse mapping: MESSAGE_ROLE_SYSTEM → system.
  return (common.MessageRole[role] ?? 'unknown').replace('MESSAGE_ROLE_', '').toLowerCase();
}

function cut(text: string): string {
  return text.length > MAX_JUDGED_CHARS ? `${text.slice(0, MAX_JUDGED_CHARS)}…` : text;
}
