// Each variant's gate result in its latest experiment, as ExperimentCompleted announced it: one
// document per (tenant, function, variant). A redelivered event writes the same document again;
// an older experiment's late event never replaces a newer one's result.
import type { router } from '@keel/contracts';
import { isDuplicateKeyError } from '@keel/store';
import type { Collection } from 'mongodb';

export interface VariantGateDoc {
  tenant_id: string;
  function_name: string;
  variant_name: string;
  experiment_id: string;
  passed: boolean;
  failures: string[];
  completed_at: Date;
}

export class VariantGateStore {
  constructor(private readonly collection: Collection<VariantGateDoc>) {}

  /** Keeps `result` unless the variant already has a later experiment's result. */
  async record(result: router.VariantGateResult): Promise<void> {
    const completedAt = result.completedAt ?? new Date(0);
    const key = {
      tenant_id: result.tenantId,
      function_name: result.functionName,
      variant_name: result.variantName,
    };
    try {
      await this.collection.updateOne(
        {
          ...key,
          $or: [{ completed_at: { $lt: completedAt } }, { experiment_id: result.experimentId }],
        },
        {
          $set: {
            ...key,
            experiment_id: result.experimentId,
            passed: result.passed,
            failures: [...result.failures],
            completed_at: completedAt,
          },
        },
        { upsert: true },
      );
    } catch (error) {
      // The variant has a later experiment's result: the upsert's insert met it.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async latest(
    tenantId: string,
    functionName: string,
    variantName: string,
  ): Promise<router.VariantGateResult | null> {
    const doc = await this.collection.findOne({
      tenant_id: tenantId,
      function_name: functionName,
      variant_name: variantName,
    });
    return doc
      ? {
          tenantId: doc.tenant_id,
          functionName: doc.function_name,
          variantName: doc.variant_name,
          experimentId: doc.experiment_id,
          passed: doc.passed,
          failures: [...doc.failures],
          completedAt: doc.completed_at,
        }
      : null;
  }
}
