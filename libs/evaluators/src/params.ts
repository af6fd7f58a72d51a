// Turns an evaluator's params_json into checked params, with errors that name the field.
import { InvalidArgumentError } from '@keel/errors';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/** The field every params error is named under; a caller may prefix it (`evaluators[2].`). */
export const PARAMS_FIELD = 'params_json';

// Defaults in the schemas fill absent params, so evaluators read complete objects.
const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true });

/** Compiles `schema` once and returns a parser of params_json text for it. */
export function paramsParser<T>(schema: object): (paramsJson: string) => T {
  const validate = ajv.compile<T>(schema);
  return (paramsJson) => {
    const params = parseJsonObject(paramsJson);
    if (!validate(params)) throw invalidParams(validate);
    return params;
  };
}

function parseJsonObject(paramsJson: string): unknown {
  // Empty text is the evaluator's defaults, like `{}`.
  if (paramsJson.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(paramsJson);
  } catch (error) {
    throw new InvalidArgumentError(PARAMS_FIELD, `is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(PARAMS_FIELD, 'must be a JSON object');
  }
  return value;
}

function invalidParams(validate: ValidateFunction): InvalidArgumentError {
  const error = validate.errors?.[0];
  if (!error) return new InvalidArgumentError(PARAMS_FIELD, 'does not fit the schema');
  return new InvalidArgumentError(fieldOf(PARAMS_FIELD, error), problemOf(error));
}

function problemOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a parameter of this evaluator';
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  return error.message ?? 'is invalid';
}

/** `params_json.terms[1]` for an ajv error at `/terms/1`, or at the property it misses. */
export function fieldOf(root: string, error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  const missing = error.params as { missingProperty?: string; additionalProperty?: string };
  const named = missing.missingProperty ?? missing.additionalProperty;
  if (named !== undefined) segments.push(named);
  return segments.reduce(
    (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`),
    root,
  );
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
