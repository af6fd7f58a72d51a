import { InvalidArgumentError } from '@keel/errors';
import Ajv, { type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import { defineEvaluator, verdict } from '../define';
import { fieldOf, PARAMS_FIELD } from '../params';

export interface JsonSchemaParams {
  /** The JSON Schema (draft-07) the answer must validate against. */
  schema: object;
  /** Compiled once when the params are parsed. */
  validate: ValidateFunction;
}

// A schema's `pattern`s run on RE2, like regex@1's, so a tenant's schema cannot make a
// validation backtrack for ever.
const re2: RegExpEngine = Object.assign(
  (pattern: string) => {
    const compiled = RE2JS.compile(pattern);
    return { test: (text: string) => compiled.matcher(text).find() };
  },
  { code: 're2js' },
);

// Tenants' schemas are compiled apart from the evaluators' own, and loosely: an unknown keyword
// (`example`, `x-…`) in a schema written for another tool is not a reason to refuse it. Formats
// (`date-time`, `email`, `uri`) are checked in ajv-formats' fast mode: simple patterns.
const tenantSchemas = new Ajv({
  strict: false,
  allErrors: false,
  addUsedSchema: false,
  logger: false,
  code: { regExp: re2 },
});
addFormats(tenantSchemas, { mode: 'fast' });

/** Whether the answer is JSON that validates against the params' schema. */
export const jsonSchema = defineEvaluator<JsonSchemaParams>({
  id: 'json_schema@1',
  description: 'Whether the answer parses as JSON and validates against a JSON Schema.',
  paramsSchema: {
    type: 'object',
    properties: { schema: { type: 'object' } },
    required: ['schema'],
    additionalProperties: false,
  },
  check: (params) => ({ ...params, validate: compile(params.schema) }),
  score: ({ outputText }, params) => {
    let value: unknown;
    try {
      value = JSON.parse(outputText);
    } catch (error) {
      return verdict(0, 'not_json', `The answer is not JSON: ${(error as Error).message}.`, true);
    }
    if (params.validate(value)) {
      return verdict(1, 'valid', 'The answer validates against the schema.', false);
    }
    const first = params.validate.errors?.[0];
    const reason = first
      ? `${fieldOf('answer', first)} ${first.message ?? 'is invalid'}`
      : 'The answer does not validate against the schema.';
    return verdict(0, 'invalid', reason, true);
  },
});

function compile(schema: object): ValidateFunction {
  try {
    const validate = tenantSchemas.compile(schema);
    // Compiled functions are kept by the params that hold them, not by the shared instance.
    tenantSchemas.removeSchema(schema);
    return validate;
  } catch (error) {
    throw new InvalidArgumentError(
      `${PARAMS_FIELD}.schema`,
      `is not a valid JSON Schema (${(error as Error).message})`,
    );
  }
}
