// Each budget period's spend as the ledger records it, and the alerts published for it. The
// store loses concurrent updates of one document, so one consumer writes these in stream order
// (a durable with one message in flight): each spend document has a single writer, and an
// inference already counted is recognised by its id among the last ones counted.
import type { CollectionIndexes, Store } from '@keel/store';
import { insertOnce, replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';
import type { BudgetPeriodKey } from '../domain/budget-periods';

const SPEND = 'budget_spend';
const ALERTS = 'budget_alerts';
/**
 * Inferences remembered per period as counted. Only an unacked message is delivered again,
 * and with one in flight that is the last one counted; the rest is margin.
 */
const REMEMBERED = 100;

interface SpendDoc {
  tenant_id: string;
  budget_name: string;
  period_start: Date;
  /** Decimal nano-USD. */
  spent_nano_usd: string;
  counted_inference_ids: string[];
}

interface AlertDoc {
  tenant_id: string;
  budget_name: string;
  period_start: Date;
  percent: number;
  spent_nano_usd: string;
  published_at: Date;
}

export const budgetSpendIndexes: CollectionIndexes = {
  [SPEND]: [{ key: { tenant_id: 1, budget_name: 1, period_start: 1 }, unique: true }],
  [ALERTS]: [{ key: { tenant_id: 1, budget_name: 1, period_start: 1, percent: 1 }, unique: true }],
};

const filterOf = (key: BudgetPeriodKey) => ({
  tenant_id: key.tenantId,
  budget_name: key.budgetName,
  period_start: key.periodStart,
});

export class BudgetSpend {
  private constructor(
    private readonly spend: Collection<SpendDoc>,
    private readonly alerts: Collection<AlertDoc>,
  ) {}

  static async open(store: Store): Promise<BudgetSpend> {
    await store.ensureIndexes(budgetSpendIndexes);
    return new BudgetSpend(store.collection<SpendDoc>(SPEND), store.collection<AlertDoc>(ALERTS));
  }

  /** Adds the inference's cost to the period once, however often it is delivered; returns the spend. */
  async add(key: BudgetPeriodKey, inferenceId: string, costNanoUsd: bigint): Promise<bigint> {
    const doc = await this.spend.findOne(filterOf(key));
    const spent = BigInt(doc?.spent_nano_usd ?? '0');
    const counted = doc?.counted_inference_ids ?? [];
    if (counted.includes(inferenceId)) return spent;
    const total = spent + costNanoUsd;
    await replaceOrInsert(this.spend, filterOf(key), {
      ...filterOf(key),
      spent_nano_usd: total.toString(),
      counted_inference_ids: [...counted, inferenceId].slice(-REMEMBERED),
    });
    return total;
  }

  /** Whether the threshold's alert was published and recorded. */
  async alerted(key: BudgetPeriodKey, percent: number): Promise<boolean> {
    return (await this.alerts.findOne({ ...filterOf(key), percent })) !== null;
  }

  async recordAlert(key: BudgetPeriodKey, percent: number, spent: bigint, at: Date): Promise<void> {
    await insertOnce(this.alerts, {
      ...filterOf(key),
      percent,
      spent_nano_usd: spent.toString(),
      published_at: at,
    });
  }
}
