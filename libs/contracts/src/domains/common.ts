export { ChatMessage, MessageRole, Usage } from '../gen/keel/common/v1/common';
