// The request's generation parameters, checked before any model is called: each refusal
// names the field at fault and what it may be.
import { inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import type { ProviderRequest } from './provider';
import { parsedJson } from './validate';

/** The parameters Complete and Stream share (their requests carry the same fields). */
export type GenerationRequest = Pick<
  inference.CompleteRequest,
  | 'temperature'
  | 'topP'
  | 'stop'
  | 'responseFormat'
  | 'tags'
  | 'episodeId'
  | 'idempotencyKey'
  | 'tools'
  | 'toolChoice'
>;

export const MAX_STOP_SEQUENCES = 4;
export const MAX_TAGS = 32;
export const MAX_TAG_CHARS = 256;
/** The longest episode id and idempotency key. */
export const MAX_ID_CHARS = 256;
export const MAX_TOOLS = 128;
/** The tool names every provider accepts (OpenAI's rule; Anthropic's is the same). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_CHOICES = new Set(['', 'auto', 'none', 'required']);
const RESPONSE_FORMATS = new Set<inference.ResponseFormat>([
  inference.ResponseFormat.RESPONSE_FORMAT_UNSPECIFIED,
  inference.ResponseFormat.RESPONSE_FORMAT_TEXT,
  inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT,
]);

export function validateParameters(request: GenerationRequest): void {
  inRange('temperature', request.temperature, 0, 2);
  inRange('top_p', request.topP, 0, 1);
  if (request.stop.length > MAX_STOP_SEQUENCES) {
    throw new InvalidArgumentError(
      'stop',
      `${request.stop.length} sequences; at most ${MAX_STOP_SEQUENCES} are allowed`,
    );
  }
  request.stop.forEach((sequence, i) => {
    if (sequence === '') throw new InvalidArgumentError(`stop[${i}]`, 'must not be empty');
  });
  if (!RESPONSE_FORMATS.has(request.responseFormat)) {
    throw new InvalidArgumentError('response_format', `unknown value ${request.responseFormat}`);
  }
  validateTags(request.tags);
  shortId('episode_id', request.episodeId);
  shortId('idempotency_key', request.idempotencyKey);
  validateTools(request.tools, request.toolChoice);
}

function inRange(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!(value >= min && value <= max)) {
    throw new InvalidArgumentError(field, `${value} is outside ${min} to ${max}`);
  }
}

function validateTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    throw new InvalidArgumentError(
      'tags',
      `${entries.length} tags; at most ${MAX_TAGS} are allowed`,
    );
  }
  for (const [key, value] of entries) {
    if (key === '') throw new InvalidArgumentError('tags', 'a key must not be empty');
    if (key.length > MAX_TAG_CHARS) {
      throw new InvalidArgumentError(
        'tags',
        `a key of ${key.length} characters; at most ${MAX_TAG_CHARS} are allowed`,
      );
    }
    if (value.length > MAX_TAG_CHARS) {
      throw new InvalidArgumentError(
        `tags[${JSON.stringify(key)}]`,
        `${value.length} characters; at most ${MAX_TAG_CHARS} are allowed`,
      );
    }
  }
}

function shortId(field: string, value: string): void {
  if (value.length > MAX_ID_CHARS) {
    throw new InvalidArgumentError(
      field,
      `${value.length} characters; at most ${MAX_ID_CHARS} are allowed`,
    );
  }
}

function validateTools(tools: inference.CompleteRequest['tools'], toolChoice: string): void {
  if (tools.length > MAX_TOOLS) {
    throw new InvalidArgumentError(
      'tools',
      `${tools.length} tools; at most ${MAX_TOOLS} are allowed`,
    );
  }
  const names = new Set<string>();
  tools.forEach((tool, i) => {
    const at = `tools[${i}]`;
    if (!TOOL_NAME.test(tool.name)) {
      throw new InvalidArgumentError(
        `${at}.name`,
        `'${tool.name}' must be 1 to 64 letters, digits, '_' or '-'`,
      );
    }
    if (names.has(tool.name)) {
      throw new InvalidArgumentError(`${at}.name`, `'${tool.name}' names an earlier tool too`);
    }
    names.add(tool.name);
    // Empty: a tool that takes no arguments.
    if (tool.parametersJsonSchema === '') return;
    const schema = parsedJson(tool.parametersJsonSchema);
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
      throw new InvalidArgumentError(
        `${at}.parameters_json_schema`,
        'must be a JSON Schema object',
      );
    }
  });
  if (TOOL_CHOICES.has(toolChoice)) {
    if (tools.length === 0 && toolChoice === 'required') {
      throw new InvalidArgumentError('tool_choice', "'required' needs tools");
    }
    return;
  }
  if (!names.has(toolChoice)) {
    throw new InvalidArgumentError(
      'tool_choice',
      `must be auto, none, required or the name of one of tools, not '${toolChoice}'`,
    );
  }
}

/** What every model of the chain is asked: the request's messages and parameters. */
export function modelRequestOf(
  request: GenerationRequest & { messages: inference.CompleteRequest['messages'] },
  maxTokens: number,
): Omit<ProviderRequest, 'model' | 'signal'> {
  return {
    messages: request.messages,
    maxTokens,
    temperature: request.temperature,
    topP: request.topP,
    stop: request.stop,
    responseFormat: request.responseFormat,
    tools: request.tools,
    toolChoice: request.toolChoice,
  };
}
