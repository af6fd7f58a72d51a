// The evaluation store's write API, as the consumer calls it: both writes are idempotent.
export {
  type EvaluationDocument,
  type StoredVerdict,
  evaluationDocumentOf,
  evaluationOf,
  recordEvaluation,
} from './evaluations';
export { type InferenceDocument, inferenceDocumentOf, recordInference } from './inferences';
export { evaluationIndexes } from './indexes';
