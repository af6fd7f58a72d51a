import { evaluatedInference, run } from '../evaluated-inference.fixture';
import { jsonSchema } from './json-schema';

const ORDER_SCHEMA = JSON.stringify({
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      items: {
        type: 'array',
        items: { type: 'object', properties: { price: { type: 'number' } } },
      },
    },
    required: ['id'],
  },
});

describe('json_schema@1', () => {
  it('scores 1 for JSON that validates', async () => {
    const answer = '{"id":"A1","items":[{"price":2.5}]}';
    expect(await run(jsonSchema, evaluatedInference(answer), ORDER_SCHEMA)).toMatchObject({
      score: 1,
      label: 'valid',
      failed: false,
    });
  });

  it('fails JSON that does not validate, naming the first error path', async () => {
    const answer = '{"id":"A1","items":[{"price":"cheap"}]}';
    expect(await run(jsonSchema, evaluatedInference(answer), ORDER_SCHEMA)).toEqual({
      score: 0,
      label: 'invalid',
      reason: 'answer.items[0].price must be number',
      failed: true,
    });
  });

  it('names a missing required property', async () => {
    expect(await run(jsonSchema, evaluatedInference('{}'), ORDER_SCHEMA)).toMatchObject({
      label: 'invalid',
      reason: "answer.id must have required property 'id'",
    });
  });

  it('fails an answer that is not JSON', async () => {
    const verdict = await run(jsonSchema, evaluatedInference('Sure! {"id": "A1"}'), ORDER_SCHEMA);
    expect(verdict).toMatchObject({ score: 0, label: 'not_json', failed: true });
  });

  it('checks formats', async () => {
    const params = '{"schema":{"type":"string","format":"date-time"}}';
    expect(
      await run(jsonSchema, evaluatedInference('"2026-12-01T00:00:00Z"'), params),
    ).toMatchObject({
      label: 'valid',
    });
    expect(await run(jsonSchema, evaluatedInference('"next Monday"'), params)).toMatchObject({
      label: 'invalid',
      reason: 'answer must match format "date-time"',
    });
  });

  it("runs a schema's patterns on RE2: linear time, and RE2 syntax only", async () => {
    const params = '{"schema":{"type":"string","pattern":"^(a+)+$"}}';
    const answer = JSON.stringify(`${'a'.repeat(30_000)}b`);
    expect(await run(jsonSchema, evaluatedInference(answer), params)).toMatchObject({
      label: 'invalid',
    });
    expect(() =>
      jsonSchema.parseParams('{"schema":{"type":"string","pattern":"(a)\\\\1"}}'),
    ).toThrow(
      expect.objectContaining({
        field: 'params_json.schema',
        message: expect.stringContaining('invalid escape sequence'),
      }),
    );
  });

  it('accepts a schema with keywords from other tools', () => {
    expect(() =>
      jsonSchema.parseParams('{"schema":{"type":"object","example":{},"x-owner":"team"}}'),
    ).not.toThrow();
  });

  it.each([
    ['{}', 'params_json.schema', /required/],
    ['{"schema":"object"}', 'params_json.schema', /must be object/],
    ['{"schema":{"type":"obj"}}', 'params_json.schema', /not a valid JSON Schema/],
    [
      '{"schema":{"$ref":"#/definitions/missing"}}',
      'params_json.schema',
      /not a valid JSON Schema/,
    ],
  ])('refuses %s, naming %s', (params, field, problem) => {
    expect(() => jsonSchema.parseParams(params)).toThrow(
      expect.objectContaining({ field, message: expect.stringMatching(problem) }),
    );
  });
});
