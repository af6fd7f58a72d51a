export { ChatMessage, MessageRole, Tool, ToolCall, Usage } from '../gen/keel/common/v1/common';
