import { common, inference, router } from '@keel/contracts';
import { FailedPreconditionError } from '@keel/errors';
import { modelsServing, requiredCapabilities } from './capabilities';

const model = (name: string, capabilities: string[]) =>
  router.Model.fromPartial({ name, capabilities });
const plain = model('plain', ['streaming']);
const tooled = model('tooled', ['streaming', 'tools']);
const json = model('json', ['json_mode']);
const asks = (fields: Partial<inference.CompleteRequest>) =>
  inference.CompleteRequest.fromPartial(fields);

describe('requiredCapabilities', () => {
  it('needs streaming for a stream, tools for tools or tool messages, json_mode for JSON', () => {
    expect(requiredCapabilities(asks({}), false)).toEqual([]);
    expect(requiredCapabilities(asks({}), true)).toEqual(['streaming']);
    expect(
      requiredCapabilities(asks({ tools: [common.Tool.fromPartial({ name: 't' })] }), false),
    ).toEqual(['tools']);
    const toolResult = common.ChatMessage.fromPartial({ toolCallId: 'c1', content: 'ok' });
    expect(requiredCapabilities(asks({ messages: [toolResult] }), false)).toEqual(['tools']);
    const format = inference.ResponseFormat.RESPONSE_FORMAT_JSON_OBJECT;
    expect(requiredCapabilities(asks({ responseFormat: format }), true)).toEqual([
      'streaming',
      'json_mode',
    ]);
  });
});

describe('modelsServing', () => {
  it('leaves out the models that lack a needed capability, in chain order', () => {
    expect(modelsServing([plain, tooled, json], ['tools']).map((m) => m.name)).toEqual(['tooled']);
    expect(modelsServing([plain, tooled], []).map((m) => m.name)).toEqual(['plain', 'tooled']);
  });

  it('refuses with FAILED_PRECONDITION naming each model and what it lacks', () => {
    const refuse = () => modelsServing([plain, json], ['streaming', 'tools']);
    expect(refuse).toThrow(FailedPreconditionError);
    expect(refuse).toThrow(
      "no model of the chain can serve this request: model 'plain' lacks 'tools'; " +
        "model 'json' lacks 'streaming', 'tools'",
    );
  });
});
