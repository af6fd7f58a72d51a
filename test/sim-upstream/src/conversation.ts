// A chat request as both wire formats describe it: what the answer and the usage are made from.

/** A JSON Schema, as far as arguments are made from it. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
}

export interface ToolSpec {
  name: string;
  parameters: JsonSchema;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  /** OpenAI `required`, Anthropic `any`. */
  | { type: 'required' }
  | { type: 'named'; name: string };

export interface Turn {
  role: string;
  /** The text the turn's tokens are counted from. */
  text: string;
}

export interface Conversation {
  model: string;
  /** Every turn, a system prompt first, in order. */
  turns: Turn[];
  /** The last user message's text, directives included. */
  lastUserText: string;
  /** The tool results that end the conversation, in order; empty when it ends otherwise. */
  toolResults: string[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  maxTokens: number;
  stop: string[];
  /** JSON output mode: the answer is one JSON object. */
  json: boolean;
  temperature?: number;
  topP?: number;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: a stream ends with a usage chunk. */
  streamUsage: boolean;
}

/** A request that cannot be answered: the provider's 400, naming the parameter. */
export class InvalidRequestError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
  }
}

/** `value` as a number within [min, max], or undefined when absent. */
export function optionalNumber(
  param: string,
  value: unknown,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new InvalidRequestError(param, `must be a number from ${min} to ${max}`);
  }
  return value;
}

/** `value` as a positive integer, or undefined when absent. */
export function optionalPositiveInteger(param: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidRequestError(param, 'must be an integer of at least 1');
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The tool the request makes the model call, if any, checked against the tools it offers. */
export function toolToCall(conversation: Conversation, directiveTool?: string): ToolSpec | null {
  const { tools, toolChoice, toolResults } = conversation;
  // After tool results the model answers them in text, so a round trip ends.
  if (tools.length === 0 || toolChoice.type === 'none' || toolResults.length > 0) return null;
  const named = (name: string, param: string) => {
    const tool = tools.find((candidate) => candidate.name === name);
    if (!tool) throw new InvalidRequestError(param, `names tool ${name}, which is not offered`);
    return tool;
  };
  if (toolChoice.type === 'named') return named(toolChoice.name, 'tool_choice');
  if (directiveTool !== undefined) return named(directiveTool, '[sim:tool]');
  return toolChoice.type === 'required' ? tools[0] : null;
}
