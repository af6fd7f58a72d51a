export {
  ChatMessage,
  MessageRole,
  messageRoleFromJSON,
  messageRoleToJSON,
  Tool,
  ToolCall,
  Usage,
} from '../gen/keel/common/v1/common';
