import { countChatTokens } from '@keel/catalog';
import { common, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { checkContextWindow } from './context-window';

const small = router.Model.fromPartial({
  name: 'small',
  tokenizer: 'o200k_base',
  contextWindow: 100n,
});
const ask = (content: string) =>
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });

describe('checkContextWindow', () => {
  it('passes an input that leaves max_tokens of room, and returns its count', async () => {
    const messages = [ask('hello there')];
    const { tokens } = await countChatTokens(small, messages);
    await expect(checkContextWindow(small, messages, [], 100 - tokens)).resolves.toEqual({
      tokens,
      estimated: false,
    });
  });

  it('refuses one token over, naming the numbers and the model', async () => {
    const messages = [ask('hello there')];
    const { tokens } = await countChatTokens(small, messages);
    const refused = checkContextWindow(small, messages, [], 101 - tokens);
    await expect(refused).rejects.toThrow(InvalidArgumentError);
    await expect(refused).rejects.toThrow(
      `messages: ${tokens} input tokens and max_tokens ${101 - tokens} make 101, ` +
        "over the 100-token context window of model 'small'",
    );
  });

  it('counts tool definitions as input', async () => {
    const messages = [ask('hi')];
    const bare = await checkContextWindow(small, messages, [], 1);
    const tool = common.Tool.fromPartial({
      name: 'lookup',
      parametersJsonSchema: '{"type":"object"}',
    });
    const withTool = await checkContextWindow(small, messages, [tool], 1);
    expect(withTool.tokens).toBeGreaterThan(bare.tokens);
  });

  it('does not check a model with no context window in the catalog', async () => {
    const unbounded = router.Model.fromPartial({ name: 'u', tokenizer: 'o200k_base' });
    await expect(checkContextWindow(unbounded, [ask('hi')], [], 1_000_000)).resolves.toBeDefined();
  });
});
