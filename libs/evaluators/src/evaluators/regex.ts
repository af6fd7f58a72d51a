// Patterns run on RE2 (re2js, pure JavaScript): matching time is linear in the answer's length
// whatever the pattern, so a tenant's pattern cannot stall the consumer with catastrophic
// backtracking. The price is RE2's syntax: no backreferences or lookaround, refused when the
// function is put.
import { InvalidArgumentError } from '@keel/errors';
import { RE2JS } from 're2js';
import { defineEvaluator, verdict } from '../define';
import { PARAMS_FIELD } from '../params';

/** Longer patterns are refused: RE2 bounds the time, this bounds the compiled program. */
export const MAX_PATTERN_LENGTH = 1_000;

const FLAGS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
};

export interface RegexParams {
  pattern: string;
  /** Any of `i` (case-insensitive), `m` (^ and $ at line ends), `s` (. matches newlines). */
  flags: string;
  /** `match`: the answer must match; `no_match`: it must not (a forbidden pattern). */
  expect: 'match' | 'no_match';
  /** Compiled once when the params are parsed. */
  compiled: RE2JS;
}

export const regex = defineEvaluator<RegexParams>({
  id: 'regex@1',
  description: 'Whether the answer matches (or must not match) an RE2 pattern.',
  paramsSchema: {
    type: 'object',
    properties: {
      pattern: { type: 'string', minLength: 1, maxLength: MAX_PATTERN_LENGTH },
      flags: { type: 'string', pattern: '^[ims]*$', default: '' },
      expect: { enum: ['match', 'no_match'], default: 'match' },
    },
    required: ['pattern'],
    additionalProperties: false,
  },
  check: (params) => ({ ...params, compiled: compile(params.pattern, params.flags) }),
  score: ({ outputText }, params) => {
    const matched = params.compiled.matcher(outputText).find();
    const ok = matched === (params.expect === 'match');
    const what = matched ? 'matches' : 'does not match';
    return verdict(
      ok ? 1 : 0,
      matched ? 'match' : 'no_match',
      `The answer ${what} the pattern.`,
      !ok,
    );
  },
});

function compile(pattern: string, flags: string): RE2JS {
  const bits = [...flags].reduce((all, flag) => all | (FLAGS[flag] ?? 0), 0);
  try {
    return RE2JS.compile(pattern, bits);
  } catch (error) {
    throw new InvalidArgumentError(
      `${PARAMS_FIELD}.pattern`,
      `is not an RE2 pattern (${(error as Error).message})`,
    );
  }
}
