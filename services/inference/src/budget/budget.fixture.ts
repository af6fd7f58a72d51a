// Tenants with budgets, the policy snapshot that holds them, and the most a request of theirs
// can cost, for the tests of budgets through gRPC.
import { builtinCatalog, costOf, countChatTokens } from '@keel/catalog';
import { common, router } from '@keel/contracts';
import { uuidv7 } from 'uuidv7';
import { INFERENCE, type TestKey, testKey } from '../app.fixture';

export interface BudgetedFunction {
  name: string;
  /** Each variant's chain, by variant name; the first variant is the one the policy runs. */
  variants: Record<string, string[]>;
}

export interface BudgetedTenant {
  tenantId: string;
  key: TestKey;
  functions: BudgetedFunction[];
  budgets: Array<Partial<router.Budget>>;
}

export function budgetedTenant(
  functions: BudgetedFunction[],
  budgets: Array<Partial<router.Budget>>,
): BudgetedTenant {
  const tenantId = uuidv7();
  return { tenantId, key: testKey(tenantId, [INFERENCE]), functions, budgets };
}

/** The tenants, on the builtin catalog and `models` besides. */
export function budgetsSnapshot(
  tenants: BudgetedTenant[],
  models: Array<Partial<router.Model>> = [],
): Uint8Array {
  const catalog = builtinCatalog(1n);
  return router.PolicySnapshot.encode(
    router.PolicySnapshot.fromPartial({
      catalog: { ...catalog, models: [...catalog.models, ...models] },
      tenants: tenants.map(({ tenantId, functions, budgets }) => ({
        tenantId,
        defaultFunctionName: functions[0].name,
        functions: functions.map((fn) => {
          const variants = Object.entries(fn.variants).map(([variantName, modelChain]) => ({
            variantName,
            modelChain,
          }));
          return {
            tenantId,
            functionName: fn.name,
            variants,
            policy: { fixed: { variantName: variants[0].variantName } },
          };
        }),
        budgets: budgets.map((budget) => ({ ...budget, tenantId })),
      })),
    }),
  ).finish();
}

/** A builtin model by name. */
export function builtinModel(name: string): router.Model {
  const model = builtinCatalog(1n).models.find((each) => each.name === name);
  if (!model) throw new Error(`no builtin model '${name}'`);
  return model;
}

/**
 * What one call of `model` costs at most for `messages` and `maxTokens` out: the input as the
 * model's tokenizer counts it, and every token allowed out, at the model's price.
 */
export async function maxCallCost(
  model: router.Model,
  messages: common.ChatMessage[],
  maxTokens: number,
): Promise<bigint> {
  const input = (await countChatTokens(model, messages)).tokens;
  const usage = common.Usage.fromPartial({
    inputTokens: BigInt(input),
    outputTokens: BigInt(maxTokens),
  });
  return costOf(model.price!, usage);
}
