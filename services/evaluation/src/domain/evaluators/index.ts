// The evaluators run on every successful inference.
import type { Evaluator } from './evaluator';
import { answerLength } from './length';
import { nonEmpty } from './non-empty';

export type { EvaluatedInference, Evaluator, Verdict } from './evaluator';

export const EVALUATORS: readonly Evaluator[] = [nonEmpty, answerLength];
