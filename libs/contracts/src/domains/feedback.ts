export { FeedbackRecorded } from '../gen/keel/feedback/v1/events';
export { Feedback, Metric } from '../gen/keel/feedback/v1/feedback';
export {
  FeedbackServiceClient,
  type FeedbackServiceServer,
  FeedbackServiceService,
  ListFeedbackRequest,
  ListFeedbackResponse,
  SubmitRequest,
  SubmitResponse,
} from '../gen/keel/feedback/v1/feedback_service';
