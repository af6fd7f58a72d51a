// The most a request can cost, reserved against its budgets before any model is called: every
// model of its chain billed once for the whole input and max_tokens of output, each at its own
// price, output priced as reasoning where that costs more.
import { costOf } from '@keel/catalog';
import { common, type router } from '@keel/contracts';

export type MaxCost = { nanoUsd: bigint } | { unpricedModel: string };

/**
 * The sum over `chain` of each model's cost for `inputTokens` in and `maxTokens` out; the
 * first model without a price, if any, since its cost has no bound. Retries of one model are
 * not counted: a provider bills a failed try rarely, and what it bills is settled all the same.
 */
export function maxCostOf(chain: router.Model[], inputTokens: number, maxTokens: number): MaxCost {
  let nanoUsd = 0n;
  for (const model of chain) {
    const input = BigInt(inputTokens);
    const output = BigInt(maxTokens);
    const plain = costOf(
      model.price,
      common.Usage.fromPartial({ inputTokens: input, outputTokens: output }),
    );
    const reasoning = costOf(
      model.price,
      common.Usage.fromPartial({
        inputTokens: input,
        outputTokens: output,
        reasoningTokens: output,
      }),
    );
    if (plain === null || reasoning === null) return { unpricedModel: model.name };
    nanoUsd += plain > reasoning ? plain : reasoning;
  }
  return { nanoUsd };
}
