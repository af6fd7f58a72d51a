import { common } from '@keel/contracts';
import { usageOf } from './wire';

describe('usageOf', () => {
  it('counts cache reads and writes in the input, each also in its own class', () => {
    expect(
      usageOf({
        input_tokens: 10,
        output_tokens: 7,
        cache_read_input_tokens: 200,
        cache_creation_input_tokens: 30,
        output_tokens_details: { thinking_tokens: 4 },
      }),
    ).toEqual(
      common.Usage.fromPartial({
        inputTokens: 240n,
        cachedInputTokens: 200n,
        cacheWriteInputTokens: 30n,
        outputTokens: 7n,
        reasoningTokens: 4n,
        estimated: false,
      }),
    );
  });

  it('reads absent cache counts as none', () => {
    const usage = usageOf({
      input_tokens: null,
      output_tokens: 3,
      cache_read_input_tokens: null,
      cache_creation_input_tokens: null,
    });
    expect(usage).toMatchObject({
      inputTokens: 0n,
      cachedInputTokens: 0n,
      cacheWriteInputTokens: 0n,
    });
  });
});
