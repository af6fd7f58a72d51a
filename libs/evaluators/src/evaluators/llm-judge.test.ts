import { common } from '@keel/contracts';
import { evaluatedInference, run, withReference } from '../evaluated-inference.fixture';
import type { JudgeClient, JudgeRequest } from '../evaluator';
import { MalformedVerdictError } from '../judge-verdict';
import { llmJudge } from './llm-judge';

const PARAMS = JSON.stringify({
  rubric: 'The answer gives the shipping day and nothing made up.',
  judge_function: 'judge',
  pass_threshold: 0.7,
});

/** A judge that replies with a scripted text and remembers what it was asked. */
function scriptedJudge(reply: string): JudgeClient & { requests: JudgeRequest[] } {
  const requests: JudgeRequest[] = [];
  return {
    requests,
    judge: async (request) => {
      requests.push(request);
      return { text: reply };
    },
  };
}

describe('llm_judge@1', () => {
  it('passes an answer the judge scores at or above the threshold, with its reason', async () => {
    const judge = scriptedJudge('SCORE: 0.7\nREASON: Gives Monday.');
    expect(await run(llmJudge, evaluatedInference('Monday.'), PARAMS, { judge })).toEqual({
      score: 0.7,
      label: 'pass',
      reason: 'Gives Monday.',
      failed: false,
    });
  });

  it('fails an answer the judge scores below the threshold', async () => {
    const judge = scriptedJudge('SCORE: 0.2\nREASON: Invents a tracking number.');
    expect(
      await run(llmJudge, evaluatedInference('Monday, #123.'), PARAMS, { judge }),
    ).toMatchObject({
      score: 0.2,
      label: 'fail',
      failed: true,
    });
  });

  it('asks the configured judge function and model, at temperature 0', async () => {
    const judge = scriptedJudge('SCORE: 1');
    const params = JSON.stringify({
      rubric: 'r',
      judge_function: 'judge',
      judge_model: 'sim-large',
    });
    const inference = evaluatedInference('Monday.');
    await run(llmJudge, inference, params, { judge });
    expect(judge.requests).toEqual([
      expect.objectContaining({
        inferenceId: inference.inferenceId,
        functionName: 'judge',
        model: 'sim-large',
        temperature: 0,
      }),
    ]);
  });

  it('puts the rubric and format in the system message, the case in the user message', async () => {
    const judge = scriptedJudge('SCORE: 1');
    const inference = withReference('Monday.', {
      answer: 'Monday',
      context: ['Orders ship Mondays.'],
    });
    await run(llmJudge, inference, PARAMS, { judge });
    const [system, user] = judge.requests[0]!.messages;
    expect(system).toMatchObject({ role: common.MessageRole.MESSAGE_ROLE_SYSTEM });
    expect(system!.content).toContain('SCORE: <a number from 0');
    expect(system!.content).toContain('The answer gives the shipping day and nothing made up.');
    expect(user).toMatchObject({ role: common.MessageRole.MESSAGE_ROLE_USER });
    expect(user!.content).toBe(
      [
        'Conversation:\n[user] When does my order ship?',
        'Answer to grade:\nMonday.',
        'Reference answer:\nMonday',
        'Reference context:\nOrders ship Mondays.',
      ].join('\n\n'),
    );
  });

  it('shows tool calls when the answer has no text', async () => {
    const judge = scriptedJudge('SCORE: 1');
    const toolCalls = [
      common.ToolCall.fromPartial({ name: 'track', argumentsJson: '{"id":"A1"}' }),
    ];
    await run(llmJudge, evaluatedInference('', { toolCalls }), PARAMS, { judge });
    expect(judge.requests[0]!.messages[1]!.content).toContain(
      'Answer to grade:\ntrack({"id":"A1"})',
    );
  });

  it('rejects with MalformedVerdictError when the reply has no verdict, rather than scoring 0', async () => {
    const judge = scriptedJudge('Looks fine to me!');
    await expect(run(llmJudge, evaluatedInference('Monday.'), PARAMS, { judge })).rejects.toThrow(
      MalformedVerdictError,
    );
  });

  it('rejects when the judge call fails', async () => {
    const judge: JudgeClient = {
      judge: () => Promise.reject(new Error('judge function unreachable')),
    };
    await expect(run(llmJudge, evaluatedInference('Monday.'), PARAMS, { judge })).rejects.toThrow(
      'judge function unreachable',
    );
  });

  it('rejects without a judge client', async () => {
    await expect(run(llmJudge, evaluatedInference('Monday.'), PARAMS)).rejects.toThrow(
      /needs a judge client/,
    );
  });

  it.each([
    ['{"judge_function":"judge"}', 'params_json.rubric', /required/],
    ['{"rubric":"r"}', 'params_json.judge_function', /required/],
    ['{"rubric":"","judge_function":"judge"}', 'params_json.rubric', /fewer than 1/],
    [
      '{"rubric":"r","judge_function":"judge","pass_threshold":1.5}',
      'params_json.pass_threshold',
      /<= 1/,
    ],
  ])('refuses %s, naming %s', (params, field, problem) => {
    expect(() => llmJudge.parseParams(params)).toThrow(
      expect.objectContaining({ field, message: expect.stringMatching(problem) }),
    );
  });
});
