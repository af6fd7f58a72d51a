import { FailedPreconditionError } from '@keel/errors';
import type { EvaluatedInference, EvaluatorDefinition, EvaluatorDeps, Verdict } from './evaluator';
import { paramsParser } from './params';

export interface EvaluatorSpec<P> {
  id: string;
  description: string;
  paramsSchema: object;
  /** Checks beyond the schema (a pattern that compiles, min ≤ max); throws InvalidArgumentError. */
  check?(params: P): P;
  skipReason?(inference: EvaluatedInference, params: P): string | undefined;
  score(inference: EvaluatedInference, params: P, deps: EvaluatorDeps): Verdict | Promise<Verdict>;
}

/** An EvaluatorDefinition from its parts: params checked by schema, skips refused by evaluate. */
export function defineEvaluator<P>(spec: EvaluatorSpec<P>): EvaluatorDefinition {
  const parse = paramsParser<P>(spec.paramsSchema);
  const skipReason = (inference: EvaluatedInference, params: unknown) =>
    spec.skipReason?.(inference, params as P);
  return {
    id: spec.id,
    description: spec.description,
    paramsSchema: spec.paramsSchema,
    parseParams: (paramsJson) => {
      const params = parse(paramsJson);
      return spec.check ? spec.check(params) : params;
    },
    skipReason,
    evaluate: (inference, params, deps) => {
      const skip = skipReason(inference, params);
      if (skip !== undefined) {
        throw new FailedPreconditionError(`${spec.id} cannot run on this inference: ${skip}`);
      }
      return spec.score(inference, params as P, deps);
    },
  };
}

/** A verdict whose score is clamped to [0, 1]. */
export function verdict(score: number, label: string, reason: string, failed: boolean): Verdict {
  return { score: Math.min(1, Math.max(0, score)), label, reason, failed };
}
