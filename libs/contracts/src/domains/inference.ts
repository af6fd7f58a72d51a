export {
  GuardrailReport,
  InferenceCompleted,
  InferencePayload,
  PayloadReference,
} from '../gen/keel/inference/v1/events';
export {
  Attempt,
  CacheHit,
  FinishReason,
  finishReasonFromJSON,
  finishReasonToJSON,
  InferenceStatus,
  inferenceStatusFromJSON,
  inferenceStatusToJSON,
  Reference,
  ResponseFormat,
  responseFormatFromJSON,
  responseFormatToJSON,
  RetrievedContext,
} from '../gen/keel/inference/v1/inference';
export {
  CompleteRequest,
  CompleteResponse,
  InferenceServiceClient,
  type InferenceServiceServer,
  InferenceServiceService,
  StreamDelta,
  StreamEnd,
  StreamRequest,
  StreamResponse,
} from '../gen/keel/inference/v1/inference_service';
