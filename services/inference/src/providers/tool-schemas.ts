// Tool definitions and calls carry JSON as text in Keel's contract; the providers' APIs take
// objects. Text that is not a JSON object is the caller's mistake, refused before any call.
import type { common } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

/** The tool's parameters schema as an object; undefined when the tool takes none (empty text). */
export function parametersOf(
  tool: common.Tool,
  index: number,
): Record<string, unknown> | undefined {
  if (tool.parametersJsonSchema.trim() === '') return undefined;
  return objectOf(tool.parametersJsonSchema, `tools[${index}].parameters_json_schema`);
}

/** The JSON object `text`, or an INVALID_ARGUMENT naming `field`. */
export function objectOf(text: string, field: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(field, 'is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}
