import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { refusal } from './refusal';

describe('refusal@1', () => {
  it.each([
    "I can't help with that.",
    'I’m sorry, but I can’t assist with that request.',
    'I am unable to provide medical advice.',
    "I'm not able to help with that.",
    'We will not share customer data.',
    "Sorry, I can't do that.",
    'As an AI language model, I cannot browse the internet.',
    'I must decline this request.',
    "Unfortunately, I won't be able to help... I cannot share that information.",
    'That request goes against my guidelines.',
  ])('scores %j 0 as refused', async (text) => {
    const verdict = await run(refusal, evaluatedInference(text));
    expect(verdict).toMatchObject({ score: 0, label: 'refused', failed: true });
  });

  it.each([
    'Your order ships on Monday.',
    'I can help with that: your order ships on Monday.',
    'Sorry for the wait! Your order ships on Monday.',
    "The reason I can't be sure is that the carrier has not scanned it.",
    '',
  ])('scores %j 1 as answered', async (text) => {
    expect(await run(refusal, evaluatedInference(text))).toMatchObject({
      score: 1,
      label: 'answered',
      failed: false,
    });
  });

  it('reads only the opening, so a refusal quoted late in a long answer is not one', async () => {
    const answer = `${'Here is the full policy. '.repeat(20)}Agents say "I can't help with that" only for fraud.`;
    expect(await run(refusal, evaluatedInference(answer))).toMatchObject({ label: 'answered' });
  });

  it('quotes the refusal in the reason', async () => {
    expect(await run(refusal, evaluatedInference("I can't help with that."))).toHaveProperty(
      'reason',
      'The answer refuses: "I can\'t help".',
    );
  });

  it('takes no params', () => {
    expect(() => refusal.parseParams('{"strict":true}')).toThrow(
      expect.objectContaining({ field: 'params_json.strict' }),
    );
  });
});
