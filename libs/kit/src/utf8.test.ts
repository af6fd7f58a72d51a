import { status, type ServiceDefinition } from '@grpc/grpc-js';
import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { common, inference, router } from '@keel/contracts';
import { metrics } from '@opentelemetry/api';
import { type HistogramMetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { INVALID_UTF8_MARKER as BAD, withInvalidUtf8 } from '@keel/testing';
import { invalidUtf8Field, refuseInvalidUtf8 } from './utf8';

const USER = common.MessageRole.MESSAGE_ROLE_USER;

/** A metric reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}
const reader = new CollectingReader();
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(() => provider.shutdown());

/** Runs `bytes` through the checked Complete as grpc-js would: deserialize, then the handler. */
function callComplete(
  bytes: Buffer,
  definition: ServiceDefinition = inference.InferenceServiceService,
) {
  const handled: unknown[] = [];
  const checked = refuseInvalidUtf8(definition, {
    complete: (call: { request: unknown }, callback: (error: null, value: object) => void) => {
      handled.push(call.request);
      callback(null, {});
    },
  });
  const request = checked.definition.complete.requestDeserialize(bytes);
  const answers: unknown[] = [];
  const handler = checked.implementation.complete as (...args: unknown[]) => void;
  const getPath = () => definition.complete.path;
  if (definition.complete.responseStream) {
    handler({ request, getPath, emit: (_event: string, error: unknown) => answers.push(error) });
  } else {
    handler({ request, getPath }, (error: unknown) => answers.push(error));
  }
  return { handled, answer: answers[0] };
}

/** Complete calls answered INVALID_ARGUMENT so far, as rpc.server.call.duration counts them. */
async function refusedCompleteCalls(): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  const duration = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === 'rpc.server.call.duration') as
    HistogramMetricData | undefined;
  const refused = duration?.dataPoints.find(
    (point) =>
      point.attributes['rpc.method'] === 'keel.inference.v1.InferenceService/Complete' &&
      point.attributes['rpc.status_code'] === 'INVALID_ARGUMENT',
  );
  return refused?.value.count ?? 0;
}

const completeBytes = (request: Partial<inference.CompleteRequest>) =>
  withInvalidUtf8(
    inference.CompleteRequest.encode(inference.CompleteRequest.fromPartial(request)).finish(),
  );

describe('refuseInvalidUtf8', () => {
  const ask = (content: string) => common.ChatMessage.fromPartial({ role: USER, content });

  it.each([
    ['function_name', { functionName: `support.${BAD}`, messages: [ask('hi')] }],
    ['messages[0].content', { messages: [ask(`caf${BAD}`)] }],
    ['messages[2].content', { messages: [ask('one'), ask('two'), ask(`th${BAD}ree`)] }],
    ['model', { model: `sim-${BAD}`, messages: [ask('hi')] }],
  ])('refuses invalid UTF-8 in %s with INVALID_ARGUMENT naming it', (field, request) => {
    const { handled, answer } = callComplete(completeBytes(request));
    expect(answer).toEqual({
      code: status.INVALID_ARGUMENT,
      details: `${field}: not valid UTF-8`,
    });
    expect(handled).toHaveLength(0);
  });

  it('counts a refused request in the RPC metrics, by its method and INVALID_ARGUMENT', async () => {
    const before = await refusedCompleteCalls();
    callComplete(completeBytes({ messages: [ask(BAD)] }));
    expect(await refusedCompleteCalls()).toBe(before + 1);
  });

  it('hands a valid request, multi-byte text included, to the handler decoded', () => {
    const request = { functionName: 'support.answer', messages: [ask('日本語で 🎉 ok')] };
    const { handled, answer } = callComplete(
      Buffer.from(
        inference.CompleteRequest.encode(inference.CompleteRequest.fromPartial(request)).finish(),
      ),
    );
    expect(answer).toBeNull();
    expect(handled).toEqual([inference.CompleteRequest.fromPartial(request)]);
  });

  it('names a repeated string inside a repeated message', () => {
    const bytes = withInvalidUtf8(
      router.PutFunctionRequest.encode(
        router.PutFunctionRequest.fromPartial({
          functionName: 'support.answer',
          variants: [
            { variantName: 'cheap', modelChain: ['sim-small'] },
            { variantName: 'strong', modelChain: ['sim-large', 'sim-medium', `sim-${BAD}`] },
          ],
        }),
      ).finish(),
    );
    const checked = refuseInvalidUtf8(router.RouterServiceService, {});
    const refused = checked.definition.putFunction.requestDeserialize(bytes) as { error: Error };
    expect(refused.error.message).toBe('variants[1].model_chain[2]: not valid UTF-8');
  });

  it('ends a server stream with INVALID_ARGUMENT instead of calling its handler', () => {
    const streaming = {
      complete: { ...inference.InferenceServiceService.complete, responseStream: true },
    };
    const { handled, answer } = callComplete(completeBytes({ messages: [ask(BAD)] }), streaming);
    expect(answer).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'messages[0].content: not valid UTF-8',
    });
    expect(handled).toHaveLength(0);
  });

  it('will not serve a client-streaming method it cannot check', () => {
    const clientStreaming = {
      complete: { ...inference.InferenceServiceService.complete, requestStream: true },
    };
    expect(() => refuseInvalidUtf8(clientStreaming, {})).toThrow(/client-streaming/);
  });

  it('will not serve a method missing from the contracts', () => {
    const unknown = {
      complete: { ...inference.InferenceServiceService.complete, path: '/keel.x.v1.X/Complete' },
    };
    expect(() => refuseInvalidUtf8(unknown, {})).toThrow(/not in the contracts/);
  });
});

describe('invalidUtf8Field', () => {
  // A message with every shape a string can take: plain, repeated, nested, and map values.
  const file = create(FileDescriptorProtoSchema, {
    name: 'shapes.proto',
    package: 'shapes',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Shapes',
        field: [
          { name: 'title', number: 1, type: Type.STRING, label: Label.OPTIONAL },
          { name: 'blob', number: 2, type: Type.BYTES, label: Label.OPTIONAL },
          {
            name: 'labels',
            number: 3,
            type: Type.MESSAGE,
            label: Label.REPEATED,
            typeName: '.shapes.Shapes.LabelsEntry',
          },
        ],
        nestedType: [
          {
            name: 'LabelsEntry',
            options: { mapEntry: true },
            field: [
              { name: 'key', number: 1, type: Type.STRING, label: Label.OPTIONAL },
              { name: 'value', number: 2, type: Type.STRING, label: Label.OPTIONAL },
            ],
          },
        ],
      },
    ],
  });
  const shapes = createFileRegistry(file, () => undefined).getMessage(
    'shapes.Shapes',
  ) as DescMessage;
  const invalid = Uint8Array.of(0xff, 0xfe);
  const entry = (key: Uint8Array, value: Uint8Array) =>
    new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .bytes(key)
      .tag(2, WireType.LengthDelimited)
      .bytes(value)
      .finish();
  const utf8 = (text: string) => new TextEncoder().encode(text);

  it('names a map value by its key, and a map whose key is invalid', () => {
    const badValue = new BinaryWriter()
      .tag(3, WireType.LengthDelimited)
      .bytes(entry(utf8('tier'), invalid))
      .finish();
    expect(invalidUtf8Field(shapes, badValue)).toBe('labels["tier"]');
    const badKey = new BinaryWriter()
      .tag(3, WireType.LengthDelimited)
      .bytes(entry(invalid, utf8('gold')))
      .finish();
    expect(invalidUtf8Field(shapes, badKey)).toBe('labels (a key)');
  });

  it('leaves bytes fields and unknown fields alone, as decoding does', () => {
    const bytes = new BinaryWriter()
      .tag(2, WireType.LengthDelimited)
      .bytes(invalid)
      .tag(99, WireType.LengthDelimited)
      .bytes(invalid)
      .tag(1, WireType.LengthDelimited)
      .bytes(utf8('ok'))
      .finish();
    expect(invalidUtf8Field(shapes, bytes)).toBeNull();
  });

  it('leaves bytes that are not a message at all to the decoder', () => {
    // A length-delimited field claiming 100 bytes where 2 follow.
    expect(invalidUtf8Field(shapes, Uint8Array.of(0x0a, 100, 0x61, 0x62))).toBeNull();
  });
});
