import type { router } from '@keel/contracts';
import { replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';

/** One budget of a tenant, unique by name within it. */
export interface BudgetDoc {
  tenant_id: string;
  budget_name: string;
  /** '' for a tenant-wide budget. */
  function_name: string;
  period: number;
  /** Decimal string: nano-USD may pass 2^53. */
  limit_nano_usd: string;
  alert_percents: number[];
  action: number;
  downgrade_variant: string;
  updated_at: Date;
}

export function budgetDoc(budget: router.Budget): BudgetDoc {
  return {
    tenant_id: budget.tenantId,
    budget_name: budget.budgetName,
    function_name: budget.functionName,
    period: budget.period,
    limit_nano_usd: budget.limitNanoUsd.toString(),
    alert_percents: [...budget.alertPercents],
    action: budget.action,
    downgrade_variant: budget.downgradeVariant,
    updated_at: budget.updatedAt ?? new Date(),
  };
}

export function budgetOf(doc: BudgetDoc): router.Budget {
  return {
    tenantId: doc.tenant_id,
    budgetName: doc.budget_name,
    functionName: doc.function_name,
    period: doc.period,
    limitNanoUsd: BigInt(doc.limit_nano_usd),
    alertPercents: [...doc.alert_percents],
    action: doc.action,
    downgradeVariant: doc.downgrade_variant,
    updatedAt: doc.updated_at,
  };
}

export class BudgetStore {
  constructor(private readonly collection: Collection<BudgetDoc>) {}

  /** Creates or replaces the tenant's budget of that name. */
  async put(doc: BudgetDoc): Promise<void> {
    await replaceOrInsert(
      this.collection,
      { tenant_id: doc.tenant_id, budget_name: doc.budget_name },
      doc,
    );
  }

  /** Removes the tenant's budget of that name; false when there was none. */
  async delete(tenantId: string, budgetName: string): Promise<boolean> {
    const result = await this.collection.deleteOne({
      tenant_id: tenantId,
      budget_name: budgetName,
    });
    return result.deletedCount > 0;
  }

  /** The tenant's budgets, by name. */
  async ofTenant(tenantId: string): Promise<router.Budget[]> {
    const docs = await this.collection
      .find({ tenant_id: tenantId })
      .sort({ budget_name: 1 })
      .toArray();
    return docs.map(budgetOf);
  }

  async all(): Promise<router.Budget[]> {
    const docs = await this.collection.find({}).toArray();
    return docs.map(budgetOf);
  }
}
