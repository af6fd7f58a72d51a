import { Metadata, status } from '@grpc/grpc-js';
import { common, inference } from '@keel/contracts';
import {
  INVALID_UTF8_MARKER as BAD,
  callWithBytes,
  eventually,
  withInvalidUtf8,
} from '@keel/testing';
import {
  INFERENCE,
  TestInference,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';

const COMPLETE = '/keel.inference.v1.InferenceService/Complete';

describe('Complete refuses strings that are not valid UTF-8, over real gRPC', () => {
  const tenantId = 'tenant-utf8';
  const key = testKey(tenantId, [INFERENCE]);
  let service: TestInference;

  beforeAll(async () => {
    service = await TestInference.start();
    await service.publish(
      policySnapshot(tenantId, [{ name: 'support.answer', chain: ['sim-small'] }]),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterAll(async () => {
    await service.close();
  });

  const send = (request: Partial<inference.CompleteRequest>, spoil: boolean) => {
    const encoded = inference.CompleteRequest.encode(
      inference.CompleteRequest.fromPartial(request),
    ).finish();
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${key.token}`);
    const bytes = spoil ? withInvalidUtf8(encoded) : Buffer.from(encoded);
    return callWithBytes(`127.0.0.1:${service.app.port}`, COMPLETE, bytes, metadata);
  };

  // Every string field a CompleteRequest can carry, each with invalid bytes in it.
  const cases: Array<[string, Partial<inference.CompleteRequest>]> = [
    ['function_name', { functionName: `support.answer${BAD}`, messages: userAsks('hi') }],
    ['model', { model: `sim-small${BAD}`, messages: userAsks('hi') }],
    ['messages[0].content', { messages: userAsks(`caf${BAD}`) }],
    ['messages[1].content', { messages: userAsks('first', `second ${BAD}`) }],
    ['stop[0]', { stop: [`end${BAD}`], messages: userAsks('hi') }],
    ['episode_id', { episodeId: `ep-${BAD}`, messages: userAsks('hi') }],
    ['idempotency_key', { idempotencyKey: `key-${BAD}`, messages: userAsks('hi') }],
    ['tags["team"]', { tags: { team: `support${BAD}` }, messages: userAsks('hi') }],
  ];
  // Fields whose valid text sim-small could not answer (it has no tools, the function no such
  // variant): refused only.
  const tool = common.Tool.fromPartial({ name: 'lookup', parametersJsonSchema: '{}' });
  const refusedOnly: Array<[string, Partial<inference.CompleteRequest>]> = [
    ['variant_name', { variantName: `default${BAD}`, messages: userAsks('hi') }],
    ['tool_choice', { tools: [tool], toolChoice: `lookup${BAD}`, messages: userAsks('hi') }],
    [
      'tools[0].description',
      { tools: [{ ...tool, description: `finds${BAD}` }], messages: userAsks('hi') },
    ],
    [
      'messages[0].tool_call_id',
      {
        messages: [
          common.ChatMessage.fromPartial({ role: 4, content: 'ok', toolCallId: `c${BAD}` }),
        ],
      },
    ],
  ];

  it('covers every string field of CompleteRequest and of its messages', () => {
    const stringFields = (message: object) =>
      Object.entries(message)
        .filter(([, value]) => typeof value === 'string')
        .map(([name]) => name);
    expect(stringFields(inference.CompleteRequest.fromPartial({}))).toEqual([
      'functionName',
      'model',
      'episodeId',
      'idempotencyKey',
      'toolChoice',
      'variantName',
    ]);
    expect(stringFields(common.ChatMessage.fromPartial({}))).toEqual(['content', 'toolCallId']);
  });

  it.each([...cases, ...refusedOnly])(
    'refuses invalid UTF-8 in %s with INVALID_ARGUMENT naming it',
    async (field, request) => {
      await expect(send(request, true)).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: `${field}: not valid UTF-8`,
      });
    },
  );

  it('answers the same requests when their text is valid', async () => {
    for (const [, request] of cases) {
      const marker = JSON.stringify(BAD).slice(1, -1);
      const valid = JSON.parse(JSON.stringify(request).replaceAll(marker, '')) as typeof request;
      const answer = inference.CompleteResponse.decode(await send(valid, false));
      expect(answer.inferenceId).not.toBe('');
    }
  });
});
