/** What an evaluator reads of an inference. */
export interface EvaluatedInference {
  outputText: string;
}

export interface Verdict {
  /** From 0 (worst) to 1 (best). */
  score: number;
  label: string;
}

/**
 * A pure function from an inference to a verdict. Its id is `name@version`: any change to
 * what it scores is a new version, so stored evaluations keep meaning what they meant.
 */
export interface Evaluator {
  id: string;
  evaluate(inference: EvaluatedInference): Verdict;
}
