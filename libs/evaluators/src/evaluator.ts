import type { common, inference, router } from '@keel/contracts';

/** What an evaluator reads of one completed inference. */
export interface EvaluatedInference {
  inferenceId: string;
  functionName: string;
  variantName: string;
  model: string;
  inputMessages: common.ChatMessage[];
  outputText: string;
  toolCalls: common.ToolCall[];
  /** From the request. */
  reference?: inference.Reference;
  /** The passages retrieval gave the model, rendered as its system message; empty when none. */
  retrievedContext?: string;
  /** PII counts etc. (the stored text may be redacted). */
  guardrails?: inference.GuardrailReport;
  latencyMs: number;
  costNanoUsd: bigint;
  /** The function's, at evaluation time. */
  serviceLevel?: router.ServiceLevel;
}

export interface Verdict {
  /** From 0 (worst) to 1 (best). */
  score: number;
  /** What analysts group by (`match`, `mismatch`, `refused`). */
  label: string;
  /** Why, in a sentence. */
  reason: string;
  /** Whether this verdict counts as a failure in failure rates and failure analysis. */
  failed: boolean;
}

/** What the LLM judge asks a model: Keel calls one of the tenant's functions with it. */
export interface JudgeRequest {
  /** The inference being judged (for idempotency keys and tracing). */
  inferenceId: string;
  /** The Keel function that judges. */
  functionName: string;
  /** A catalog model to pin, or empty for the judge function's routed chain. */
  model: string;
  messages: common.ChatMessage[];
  /** Enough for the verdict format; the judge is asked for a score and one sentence. */
  maxTokens: number;
  temperature: number;
}

/** The judge model's reply, as text: the evaluator parses the verdict out of it. */
export interface JudgeVerdict {
  text: string;
}

/** Calls a judge model. The evaluator builds the prompt and parses the reply; this does the I/O. */
export interface JudgeClient {
  judge(request: JudgeRequest): Promise<JudgeVerdict>;
}

export interface EvaluatorDeps {
  judge?: JudgeClient;
}

/**
 * A pure, versioned function from an inference to a verdict. Its id is `name@version`: any
 * change to what it scores is a new version, so stored evaluations keep meaning what they meant.
 *
 * Call order: `parseParams` once per config (the router also calls it when a function is put),
 * then per inference `skipReason`; only when that is undefined, `evaluate`.
 */
export interface EvaluatorDefinition {
  /** `numeric_match@1`. */
  id: string;
  /** One line: what it scores (for docs and CLIs). */
  description: string;
  /** JSON Schema of params_json (ajv). */
  paramsSchema: object;
  /** Throws InvalidArgumentError naming the field when params do not fit (used by the router). */
  parseParams(paramsJson: string): unknown;
  /**
   * Why this evaluator cannot run on this inference (`no_reference`, `no_service_level`,
   * `no_guardrail_report`), or undefined when it can. A skip is counted, not stored as a verdict.
   */
  skipReason(inference: EvaluatedInference, params: unknown): string | undefined;
  /**
   * Scores an inference `skipReason` accepted (throws FailedPreconditionError on one it would
   * skip). Rejects when a dependency fails, e.g. the judge's reply has no verdict in it.
   */
  evaluate(
    inference: EvaluatedInference,
    params: unknown,
    deps: EvaluatorDeps,
  ): Verdict | Promise<Verdict>;
}
