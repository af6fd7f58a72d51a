// Which evaluators run on a function's answers, from the router's policy snapshot: each
// function's configured evaluators with their params parsed once per snapshot, or the
// defaults for a function that configures none.
import type { router } from '@keel/contracts';
import { EVALUATORS, type EvaluatorDefinition } from '@keel/evaluators';

/** What runs on the answers of a function that configures no evaluator. */
export const DEFAULT_EVALUATORS: readonly string[] = ['non_empty@1', 'length@1'];

export interface PlannedEvaluator {
  /** `name@version`, as configured. */
  id: string;
  samplingRate: number;
  /** Set when it can run: its definition and parsed params. */
  runnable?: { definition: EvaluatorDefinition; params: unknown };
  /** Why it can never run here (unknown to this version, params that do not parse). */
  problem?: string;
}

export interface EvaluationPlan {
  evaluators: PlannedEvaluator[];
  serviceLevel: router.ServiceLevel | undefined;
}

export class EvaluationPlans {
  private byTenant = new Map<string, Map<string, EvaluationPlan>>();
  private received = false;

  /** Takes the plans of a new policy snapshot. */
  update(snapshot: router.PolicySnapshot): void {
    const byTenant = new Map<string, Map<string, EvaluationPlan>>();
    for (const tenant of snapshot.tenants) {
      const plans = new Map<string, EvaluationPlan>();
      for (const fn of tenant.functions) {
        plans.set(fn.functionName, {
          evaluators: fn.evaluators.map((config) =>
            planned(config.evaluator, config.samplingRate, config.paramsJson),
          ),
          serviceLevel: fn.serviceLevel,
        });
      }
      byTenant.set(tenant.tenantId, plans);
    }
    this.byTenant = byTenant;
    this.received = true;
  }

  /**
   * The plan for a function's answers, or null before the first snapshot. A function without
   * evaluators, or that the snapshot no longer holds, runs the defaults.
   */
  planOf(tenantId: string, functionName: string): EvaluationPlan | null {
    if (!this.received) return null;
    const plan = this.byTenant.get(tenantId)?.get(functionName);
    if (plan && plan.evaluators.length > 0) return plan;
    return {
      evaluators: DEFAULT_EVALUATORS.map((id) => planned(id, 1, '')),
      serviceLevel: plan?.serviceLevel,
    };
  }
}

/** An evaluator ready to run, or the reason it never can. */
export function planned(id: string, samplingRate: number, paramsJson: string): PlannedEvaluator {
  const definition = EVALUATORS.get(id);
  if (!definition) return { id, samplingRate, problem: `${id} is not a known evaluator` };
  try {
    return {
      id,
      samplingRate,
      runnable: { definition, params: definition.parseParams(paramsJson) },
    };
  } catch (error) {
    return { id, samplingRate, problem: `its params do not parse: ${(error as Error).message}` };
  }
}
