export { Feedback } from '../gen/keel/feedback/v1/feedback';
export { FeedbackRecorded } from '../gen/keel/feedback/v1/events';
