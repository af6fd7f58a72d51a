// Keel's evaluators: pure, versioned functions from a completed inference to a verdict, each
// with a JSON Schema of its params, found by `name@version` in EVALUATORS. No I/O: the LLM
// judge calls its model through the JudgeClient it is given.
//
// Running one: `params = parseParams(config.params_json)` (throws InvalidArgumentError naming
// `params_json.<field>`); then per inference `skipReason(inference, params)`: a string
// (`no_reference`, `no_service_level`, `no_guardrail_report`, …) means the evaluator does not
// apply to this inference — count a skip and store nothing; undefined means call
// `evaluate(inference, params, deps)`, which returns (or resolves to) the Verdict to store.
// `evaluate` rejects, never scoring 0, when it cannot give a verdict: with what the judge
// client threw (the client decides what is transient, e.g. UnavailableError), or with a
// FailedPreconditionError (MalformedVerdictError: the judge's reply has no readable verdict;
// no judge client given) that retrying the same inference cannot fix.
export type {
  EvaluatedInference,
  EvaluatorDefinition,
  EvaluatorDeps,
  JudgeClient,
  JudgeRequest,
  JudgeVerdict,
  Verdict,
} from './evaluator';
export { MalformedVerdictError, parseJudgeVerdict } from './judge-verdict';
export { PARAMS_FIELD } from './params';
export { EVALUATORS } from './registry';
