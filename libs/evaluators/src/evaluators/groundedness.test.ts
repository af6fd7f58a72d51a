import { common } from '@keel/contracts';
import { evaluatedInference, run, withReference } from '../evaluated-inference.fixture';
import { groundedness } from './groundedness';

const CONTEXT = 'Orders placed before noon ship the same day from the Leeds warehouse.';
const message = (role: common.MessageRole, content: string) =>
  common.ChatMessage.fromPartial({ role, content });

describe('groundedness@1', () => {
  it('passes an answer grounded in reference.context, saying so', async () => {
    const inference = withReference('It ships the same day from Leeds.', { context: [CONTEXT] });
    expect(await run(groundedness, inference)).toEqual({
      score: 1,
      label: 'grounded',
      reason: "The answer's words are in the reference context.",
      failed: false,
    });
  });

  it('fails an answer with words the context lacks, naming them', async () => {
    const inference = withReference('It ships next week from Manchester.', { context: [CONTEXT] });
    const verdict = await run(groundedness, inference);
    expect(verdict).toMatchObject({ label: 'ungrounded', failed: true });
    expect(verdict).toHaveProperty(
      'reason',
      'Not in the reference context: next, week, Manchester.',
    );
  });

  it('grounds in the system and tool messages when the request has no reference context', async () => {
    const inference = evaluatedInference('It ships the same day from Leeds.', {
      inputMessages: [
        message(common.MessageRole.MESSAGE_ROLE_SYSTEM, 'Answer from the policy below.'),
        message(common.MessageRole.MESSAGE_ROLE_USER, 'When will it ship from Leeds?'),
        message(common.MessageRole.MESSAGE_ROLE_TOOL, CONTEXT),
      ],
    });
    expect(await run(groundedness, inference)).toMatchObject({
      label: 'grounded',
      reason: "The answer's words are in the system and tool messages.",
    });
  });

  it('grounds in the retrieved passages when the request has no reference context', async () => {
    const retrieved = evaluatedInference('It ships the same day from Leeds.', {
      inputMessages: [message(common.MessageRole.MESSAGE_ROLE_USER, 'When does it ship?')],
      retrievedContext: `Answer from the numbered passages below.\n\n[1] ${CONTEXT}`,
    });
    expect(await run(groundedness, retrieved)).toMatchObject({
      label: 'grounded',
      reason: "The answer's words are in the retrieved passages.",
    });
    const elsewhere = { ...retrieved, outputText: 'It ships next week from Manchester.' };
    expect(await run(groundedness, elsewhere)).toMatchObject({
      label: 'ungrounded',
      reason: 'Not in the retrieved passages: next, week, Manchester.',
    });
  });

  it("never grounds in the user's own words", async () => {
    const inference = evaluatedInference('It ships from Leeds.', {
      inputMessages: [
        message(common.MessageRole.MESSAGE_ROLE_SYSTEM, 'Orders ship from Bristol.'),
        message(common.MessageRole.MESSAGE_ROLE_USER, 'Does it ship from Leeds?'),
      ],
    });
    expect(await run(groundedness, inference)).toMatchObject({ label: 'ungrounded' });
  });

  it('fails at the threshold given', async () => {
    // 4 of 5 content words found, 2 of 4 pairs of them: 4/5 × (1 - 0.5 × 2/4) = 0.6.
    const inference = withReference('Orders ship the same day from Leeds today.', {
      context: [CONTEXT],
    });
    const verdict = await run(groundedness, inference);
    expect(verdict).toMatchObject({ label: 'ungrounded' });
    expect(await run(groundedness, inference, '{"threshold":0.6}')).toMatchObject({
      label: 'grounded',
      score: (verdict as { score: number }).score,
    });
  });

  it('skips an inference with neither reference context nor system or tool messages', async () => {
    expect(await run(groundedness, evaluatedInference('It ships today.'))).toEqual({
      skipped: 'no_context',
    });
    expect(await run(groundedness, withReference('x', { context: ['  '] }))).toEqual({
      skipped: 'no_context',
    });
  });

  it('refuses a threshold outside 0..1, naming the field', () => {
    expect(() => groundedness.parseParams('{"threshold":2}')).toThrow(
      expect.objectContaining({ field: 'params_json.threshold' }),
    );
  });
});
