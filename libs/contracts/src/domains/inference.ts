export {
  Attempt,
  CacheHit,
  FinishReason,
  InferenceStatus,
  Reference,
  ResponseFormat,
} from '../gen/keel/inference/v1/inference';
export {
  CompleteRequest,
  CompleteResponse,
  InferenceServiceClient,
  InferenceServiceService,
  type InferenceServiceServer,
  StreamDelta,
  StreamEnd,
  StreamRequest,
  StreamResponse,
} from '../gen/keel/inference/v1/inference_service';
export {
  GuardrailReport,
  InferenceCompleted,
  InferencePayload,
  PayloadReference,
} from '../gen/keel/inference/v1/events';
