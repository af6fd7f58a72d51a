import type { EvaluatorDefinition } from './evaluator';
import { contains } from './evaluators/contains';
import { exact } from './evaluators/exact';
import { groundedness } from './evaluators/groundedness';
import { jsonSchema } from './evaluators/json-schema';
import { answerLengthV1 } from './evaluators/length-v1';
import { answerLength } from './evaluators/length-v2';
import { llmJudge } from './evaluators/llm-judge';
import { nonEmpty } from './evaluators/non-empty';
import { numericMatch } from './evaluators/numeric-match';
import { piiLeak } from './evaluators/pii-leak';
import { refusal } from './evaluators/refusal';
import { regex } from './evaluators/regex';
import { slo } from './evaluators/slo';

/** Every built-in evaluator, by `name@version`. */
export const EVALUATORS: ReadonlyMap<string, EvaluatorDefinition> = new Map(
  [
    nonEmpty,
    answerLengthV1,
    answerLength,
    exact,
    contains,
    regex,
    jsonSchema,
    numericMatch,
    refusal,
    piiLeak,
    groundedness,
    slo,
    llmJudge,
  ].map((evaluator) => [evaluator.id, evaluator]),
);
