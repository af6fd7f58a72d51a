export { Evaluation } from '../gen/keel/evaluation/v1/evaluation';
export { EvaluationScored } from '../gen/keel/evaluation/v1/events';
