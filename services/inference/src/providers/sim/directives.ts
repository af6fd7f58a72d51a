// The directives a test or a demo writes into the last user message to steer the sim model.
import { common } from '@keel/contracts';

export interface SimDirectives {
  /** `[sim:empty]`: answer with no text. */
  empty: boolean;
  /** `[sim:fail]`: every model fails. */
  failAll: boolean;
  /** `[sim:fail=<model name>]`, once per model: only those models fail. */
  failModels: Set<string>;
}

const DIRECTIVE = /\[sim:(empty|fail)(?:=([^\]\s]+))?\]/g;

export function parseDirectives(messages: common.ChatMessage[]): SimDirectives {
  const directives: SimDirectives = { empty: false, failAll: false, failModels: new Set() };
  const lastUser = lastUserMessage(messages);
  for (const [, name, model] of lastUser.matchAll(DIRECTIVE)) {
    if (name === 'empty') directives.empty = true;
    else if (model === undefined) directives.failAll = true;
    else directives.failModels.add(model);
  }
  return directives;
}

/** The text of the last user message without its directives: what the answer is about. */
export function promptOf(messages: common.ChatMessage[]): string {
  return lastUserMessage(messages).replace(DIRECTIVE, ' ');
}

function lastUserMessage(messages: common.ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === common.MessageRole.MESSAGE_ROLE_USER) return messages[i].content;
  }
  return '';
}
