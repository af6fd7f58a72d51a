import { common, inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { validateParameters } from './parameters';

const request = (fields: Partial<inference.CompleteRequest>) =>
  inference.CompleteRequest.fromPartial(fields);
const tool = (name: string, parametersJsonSchema = '{"type":"object"}') =>
  common.Tool.fromPartial({ name, parametersJsonSchema });

/** The field the refusal of `fields` names. */
function refusedField(fields: Partial<inference.CompleteRequest>): string {
  try {
    validateParameters(request(fields));
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.field;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('validateParameters', () => {
  it('accepts every parameter at its bounds', () => {
    expect(() =>
      validateParameters(
        request({
          temperature: 2,
          topP: 0,
          stop: ['a', 'b', 'c', 'd'],
          responseFormat: inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT,
          tags: Object.fromEntries(
            Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v'.repeat(256)]),
          ),
          tools: [tool('lookup_order'), tool('refund-2', '')],
          toolChoice: 'refund-2',
        }),
      ),
    ).not.toThrow();
  });

  it.each([
    ['temperature', { temperature: 2.01 }],
    ['temperature', { temperature: -0.1 }],
    ['temperature', { temperature: Number.NaN }],
    ['top_p', { topP: 1.5 }],
    ['stop', { stop: ['a', 'b', 'c', 'd', 'e'] }],
    ['stop[1]', { stop: ['a', ''] }],
    ['response_format', { responseFormat: 7 as inference.ResponseFormat }],
    ['tags', { tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, ''])) }],
    ['tags', { tags: { ['k'.repeat(257)]: 'v' } }],
    ['tags["k"]', { tags: { k: 'v'.repeat(257) } }],
    ['episode_id', { episodeId: 'e'.repeat(257) }],
    ['idempotency_key', { idempotencyKey: 'i'.repeat(257) }],
    ['tools[0].name', { tools: [tool('has space')] }],
    ['tools[1].name', { tools: [tool('twice'), tool('twice')] }],
    ['tools[0].parameters_json_schema', { tools: [tool('t', '{"type":')] }],
    ['tools[0].parameters_json_schema', { tools: [tool('t', '[1]')] }],
    ['tool_choice', { tools: [tool('t')], toolChoice: 'other' }],
    ['tool_choice', { toolChoice: 'required' }],
  ])('names %s when it is out of bounds', (field, fields) => {
    expect(refusedField(fields)).toBe(field);
  });
});
