import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { bucketsOf, type common, inference, router } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import {
  INFERENCE,
  TestInference,
  type TestFunction,
  keysSnapshot,
  policySnapshot,
  testKey,
  userAsks,
} from '../app.fixture';
import { recordKey } from '../domain/idempotency';
import { STREAM_WINDOW_CHARS } from '../guardrails/stream-window';

// The guardrails through the real gRPC service, in-process sim models and the sim upstream over
// HTTP, whose `scripted` model answers from a replay file this suite writes, so the output holds
// exactly the personal data or unsafe text a test needs.

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const { SAFETY_ACTION_FLAG: FLAG, SAFETY_ACTION_BLOCK: BLOCK } = router.SafetyAction;
const { SAFETY_CATEGORY_SELF_HARM: SELF_HARM, SAFETY_CATEGORY_VIOLENCE: VIOLENCE } =
  router.SafetyCategory;

const EMAIL = 'dana.kowalski@example.com';
const CARD = '4111 1111 1111 1111';
const PERSON = 'Jennifer Walsh';
const PII_PROMPT = `Please update the account of ${PERSON}: email ${EMAIL}, card ${CARD}.`;
const REDACTED_PROMPT =
  'Please update the account of <PERSON>: email <EMAIL_ADDRESS>, card <CREDIT_CARD>.';
const PII_ANSWER = `I updated the account of ${PERSON}; email ${EMAIL} and card ${CARD} are on file.`;
const SELF_HARM_PROMPT = 'I want to hurt myself tonight, I cannot go on living.';
const VIOLENT_SENTENCE = 'Then he said I will kill you and your whole family with a knife.';
const SAFE_STORY =
  'The lighthouse keeper climbed the stairs every evening to light the lamp. The ships passed ' +
  'along the coast while the village below slept. In the morning he wrote the weather in his ' +
  'book, mended the nets and walked to the bakery for bread. His neighbours waved from their ' +
  'gardens and the children counted the boats in the harbour. Summer came slowly that year and ' +
  'the keeper planted tomatoes behind the tower. ';
const STORY_PROMPT = 'Tell me the story of the lighthouse keeper.';
// Longer before the threat than a stream's window, so a blocked stream has delivered its start.
const SAFE_START = SAFE_STORY.repeat(2);
const VIOLENT_STORY = `${SAFE_START}${VIOLENT_SENTENCE} ${SAFE_STORY}`;
const THREAT_PROMPT = 'How does the story begin?';
const THREAT_FIRST = `${VIOLENT_SENTENCE} ${SAFE_STORY}`;

const scripted = (prompt: string, response: string) =>
  JSON.stringify({ prompt, scripted: { response } });

describe('guardrails over real gRPC, JetStream and the sim upstream', () => {
  const tenantId = 'tenant-guardrails';
  const key = testKey(tenantId, [INFERENCE]);
  const fallback = { text: 'Sorry, I cannot help with that here.' };
  const blockInput = { inputAction: BLOCK, categories: [SELF_HARM] };
  const blockOutput = { outputAction: BLOCK, categories: [VIOLENCE] };
  const functions: TestFunction[] = [
    // No guardrails of its own: the tenant's limit of 3 messages.
    { name: 'plain', chain: ['sim-small'] },
    {
      name: 'limited',
      chain: ['sim-small'],
      defaultMaxTokens: 2048,
      guardrails: router.Guardrails.fromPartial({
        limits: { maxMessages: 2, maxOutputTokens: 1024, maxInputTokens: 20n },
        fallback,
      }),
    },
    {
      name: 'input-block',
      chain: ['sim-small'],
      guardrails: router.Guardrails.fromPartial({ contentSafety: blockInput }),
    },
    {
      name: 'input-block-fallback',
      chain: ['sim-small'],
      guardrails: router.Guardrails.fromPartial({ contentSafety: blockInput, fallback }),
    },
    {
      name: 'input-flag',
      chain: ['sim-small'],
      guardrails: router.Guardrails.fromPartial({
        contentSafety: { inputAction: FLAG, categories: [SELF_HARM] },
      }),
    },
    {
      name: 'output-block',
      chain: ['scripted'],
      guardrails: router.Guardrails.fromPartial({ contentSafety: blockOutput }),
    },
    {
      name: 'output-block-fallback',
      chain: ['scripted'],
      guardrails: router.Guardrails.fromPartial({ contentSafety: blockOutput, fallback }),
    },
    {
      name: 'output-flag',
      chain: ['scripted'],
      guardrails: router.Guardrails.fromPartial({
        contentSafety: { outputAction: FLAG, categories: [VIOLENCE] },
      }),
    },
    {
      name: 'redact',
      chain: ['scripted'],
      guardrails: router.Guardrails.fromPartial({ pii: { redactUpstream: false } }),
    },
    {
      name: 'redact-upstream',
      chain: ['scripted'],
      guardrails: router.Guardrails.fromPartial({ pii: { redactUpstream: true } }),
    },
    {
      name: 'all-fail',
      chain: ['sim-small', 'sim-large'],
      guardrails: router.Guardrails.fromPartial({ fallback }),
    },
  ];
  let upstream: SimUpstream;
  let service: TestInference;
  let events: Map<string, inference.InferenceCompleted>;
  let replayDir: string;

  beforeAll(async () => {
    replayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-guardrails-'));
    const replayFile = path.join(replayDir, 'scripted.jsonl');
    fs.writeFileSync(
      replayFile,
      [
        scripted(PII_PROMPT, PII_ANSWER),
        scripted(REDACTED_PROMPT, 'Done: the account of <PERSON> is updated.'),
        scripted(STORY_PROMPT, VIOLENT_STORY),
        scripted(THREAT_PROMPT, THREAT_FIRST),
      ].join('\n'),
    );
    upstream = await startSimUpstream({ replayFile, replayModels: { scripted: 'scripted' } });
    service = await TestInference.start();
    events = await service.collectEvents();
    const provider: Partial<router.Provider> = {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
    };
    const model: Partial<router.Model> = {
      name: 'scripted',
      provider: 'upstream',
      providerModel: 'scripted',
      tier: router.ModelTier.MODEL_TIER_SMALL,
      contextWindow: 128_000n,
      maxOutputTokens: 4_096n,
      price: {
        inputNanoUsdPerMtok: 150_000_000n,
        outputNanoUsdPerMtok: 600_000_000n,
        cachedInputNanoUsdPerMtok: 75_000_000n,
      },
      tokenizer: 'o200k_base',
      capabilities: ['streaming'],
    };
    const tenantSettings = router.TenantSettings.fromPartial({
      guardrails: { limits: { maxMessages: 3 } },
    });
    await service.publish(
      policySnapshot(tenantId, functions, {
        providers: [provider],
        models: [model],
        tenantSettings,
      }),
      keysSnapshot([key]),
    );
    await eventually(async () => (await service.health()) === 'SERVING', { what: 'SERVING' });
  });

  afterAll(async () => {
    await service?.close();
    await upstream?.stop();
    fs.rmSync(replayDir, { recursive: true, force: true });
  });

  const eventOf = (inferenceId: string) =>
    eventually(() => events.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });
  const complete = (functionName: string, messages: common.ChatMessage[], maxTokens = 0) =>
    service.complete({ functionName, messages, maxTokens }, key.token);
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('the call was answered');
      },
      (error: ServiceError) => error,
    );
  /** The event a failed call recorded, by the id its keel-inference-id trailer names. */
  const eventOfFailed = (error: ServiceError) => {
    const [inferenceId] = (error.metadata as Metadata).get('keel-inference-id');
    expect(inferenceId).toEqual(expect.any(String));
    return eventOf(String(inferenceId));
  };

  describe('limits', () => {
    it('refuses more messages than max_messages with INVALID_ARGUMENT, not the fallback', async () => {
      const error = await refusal(complete('limited', userAsks('One', 'Two', 'Three')));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe("messages: 3 messages, more than this function's limit of 2");
    });

    it("holds a function without limits of its own to its tenant's", async () => {
      const error = await refusal(complete('plain', userAsks('1', '2', '3', '4')));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe("messages: 4 messages, more than this function's limit of 3");
      await expect(complete('plain', userAsks('1', '2', '3'))).resolves.toMatchObject({
        model: 'sim-small',
      });
    });

    it('refuses a max_tokens over max_output_tokens, and a variant default over it', async () => {
      const asked = await refusal(complete('limited', userAsks('Hi'), 4000));
      expect(asked.code).toBe(status.INVALID_ARGUMENT);
      expect(asked.details).toBe("max_tokens: 4000 is over this function's limit of 1024");

      const byDefault = await refusal(complete('limited', userAsks('Hi')));
      expect(byDefault.code).toBe(status.INVALID_ARGUMENT);
      expect(byDefault.details).toMatch(
        /^max_tokens: not set, and variant 'limited.v1' defaults to 2048/,
      );

      await expect(complete('limited', userAsks('Hi'), 1024)).resolves.toMatchObject({
        fallbackAnswer: false,
      });
    });

    it('refuses more input tokens than max_input_tokens, counted on the routed model', async () => {
      const error = await refusal(complete('limited', userAsks('word '.repeat(40).trim()), 100));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(
        /^messages: \d+ input tokens, more than this function's limit of 20$/,
      );
    });
  });

  describe('content safety on the input', () => {
    it('refuses a flagged input with FAILED_PRECONDITION before any model, recording the block', async () => {
      const error = await refusal(complete('input-block', userAsks(SELF_HARM_PROMPT)));
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.details).toBe('content_safety: input flagged as SELF_HARM');

      const event = await eventOfFailed(error);
      expect(event).toMatchObject({
        status: FAILED,
        model: '',
        costNanoUsd: 0n,
        fallbackAnswer: false,
      });
      expect(event.attempts).toEqual([]);
      expect(event.guardrails).toMatchObject({
        inputFlaggedCategories: ['SELF_HARM'],
        blockedBy: 'content_safety.input: SELF_HARM',
      });
    });

    it('answers the fallback instead, marked in the answer and the event', async () => {
      const response = await complete('input-block-fallback', userAsks(SELF_HARM_PROMPT));
      expect(response).toMatchObject({ text: fallback.text, fallbackAnswer: true, model: '' });
      const event = await eventOf(response.inferenceId);
      expect(event).toMatchObject({
        status: FAILED,
        outputText: fallback.text,
        fallbackAnswer: true,
        attempts: [],
      });
      expect(event.guardrails?.blockedBy).toBe('content_safety.input: SELF_HARM');
    });

    it('refuses a flagged input on Stream the same way, recording the block', async () => {
      const { messages, status: ended } = await service.stream(
        { functionName: 'input-block', messages: userAsks(SELF_HARM_PROMPT) },
        key.token,
      );
      expect(ended.code).toBe(status.FAILED_PRECONDITION);
      expect(ended.details).toBe('content_safety: input flagged as SELF_HARM');
      expect(messages).toEqual([]);
      const [inferenceId] = ended.metadata.get('keel-inference-id');
      const event = await eventOf(String(inferenceId));
      expect(event).toMatchObject({ status: FAILED, streamed: true, attempts: [] });
      expect(event.guardrails?.blockedBy).toBe('content_safety.input: SELF_HARM');
    });

    it('lets a flagged input through when the action is FLAG, recording the category', async () => {
      const response = await complete('input-flag', userAsks(SELF_HARM_PROMPT));
      expect(response.model).toBe('sim-small');
      const event = await eventOf(response.inferenceId);
      expect(event.status).toBe(OK);
      expect(event.guardrails).toMatchObject({
        inputFlaggedCategories: ['SELF_HARM'],
        blockedBy: '',
      });
    });
  });

  describe('content safety on the output', () => {
    it('refuses a flagged answer with FAILED_PRECONDITION, its call recorded and billed', async () => {
      const error = await refusal(complete('output-block', userAsks(STORY_PROMPT)));
      expect(error.code).toBe(status.FAILED_PRECONDITION);
      expect(error.details).toBe('content_safety: output flagged as VIOLENCE');

      const event = await eventOfFailed(error);
      expect(event).toMatchObject({ status: FAILED, model: 'scripted', fallbackAnswer: false });
      expect(event.attempts.map((a) => [a.model, a.status])).toEqual([['scripted', OK]]);
      expect(event.costNanoUsd).toBeGreaterThan(0n);
      expect(event.guardrails).toMatchObject({
        outputFlaggedCategories: ['VIOLENCE'],
        blockedBy: 'content_safety.output: VIOLENCE',
      });
    });

    it('answers the fallback instead, the blocked call still billed', async () => {
      const response = await complete('output-block-fallback', userAsks(STORY_PROMPT));
      expect(response).toMatchObject({ text: fallback.text, fallbackAnswer: true });
      expect(response.costNanoUsd).toBeGreaterThan(0n);
      const event = await eventOf(response.inferenceId);
      expect(event).toMatchObject({
        status: FAILED,
        outputText: fallback.text,
        fallbackAnswer: true,
      });
      expect(event.costNanoUsd).toBe(response.costNanoUsd);
      expect(event.guardrails?.blockedBy).toBe('content_safety.output: VIOLENCE');
    });

    it('stops a stream before the window holding the unsafe text, which is never delivered', async () => {
      const { messages, status: ended } = await service.stream(
        { functionName: 'output-block', messages: userAsks(STORY_PROMPT) },
        key.token,
      );
      expect(ended.code).toBe(status.FAILED_PRECONDITION);
      expect(ended.details).toBe('content_safety: output flagged as VIOLENCE');
      const delivered = messages.map((m) => m.delta?.text ?? '').join('');
      // The safe start was delivered as it was checked; the rest of the story was held back.
      expect(delivered.length).toBeGreaterThan(SAFE_START.length - STREAM_WINDOW_CHARS);
      expect(VIOLENT_STORY.startsWith(delivered)).toBe(true);
      expect(delivered).not.toContain('kill');
      expect(messages.some((m) => m.end)).toBe(false);

      const inferenceId = messages[0].inferenceId;
      const event = await eventOf(inferenceId);
      expect(event).toMatchObject({ status: FAILED, streamed: true, model: 'scripted' });
      expect(event.guardrails?.blockedBy).toBe('content_safety.output: VIOLENCE');
      expect(event.costNanoUsd).toBeGreaterThan(0n);
    });

    it('answers a stream blocked before it delivered anything with the fallback', async () => {
      const { messages, status: ended } = await service.stream(
        { functionName: 'output-block-fallback', messages: userAsks(THREAT_PROMPT) },
        key.token,
      );
      expect(ended.code).toBe(status.OK);
      expect(messages.map((m) => m.delta?.text ?? '').join('')).toBe(fallback.text);
      expect(messages[messages.length - 1].end).toMatchObject({ fallbackAnswer: true });
      const event = await eventOf(messages[0].inferenceId);
      expect(event).toMatchObject({
        status: FAILED,
        outputText: fallback.text,
        fallbackAnswer: true,
      });
      expect(event.guardrails?.blockedBy).toBe('content_safety.output: VIOLENCE');
      expect(event.costNanoUsd).toBeGreaterThan(0n);
    });

    it('delivers a flagged stream whole when the action is FLAG, recording the category', async () => {
      const { messages, status: ended } = await service.stream(
        { functionName: 'output-flag', messages: userAsks(STORY_PROMPT) },
        key.token,
      );
      expect(ended.code).toBe(status.OK);
      expect(messages.map((m) => m.delta?.text ?? '').join('')).toBe(VIOLENT_STORY);
      const event = await eventOf(messages[0].inferenceId);
      expect(event.status).toBe(OK);
      expect(event.guardrails).toMatchObject({
        outputFlaggedCategories: ['VIOLENCE'],
        blockedBy: '',
      });
    });
  });

  describe('personal data', () => {
    // Each part of the name: half a name redacted is a name kept.
    const planted = [EMAIL, CARD, ...PERSON.split(' ')];

    it('records redacted text and counts, sends the caller its answer, and the provider the original', async () => {
      const response = await complete('redact', userAsks(PII_PROMPT));
      expect(response.text).toBe(PII_ANSWER);
      const sent = upstream.lastRequest()?.body as { messages: { content: string }[] };
      expect(sent.messages.map((m) => m.content)).toEqual([PII_PROMPT]);

      const event = await eventOf(response.inferenceId);
      const published = JSON.stringify(inference.InferenceCompleted.toJSON(event));
      for (const value of planted) expect(published).not.toContain(value);
      expect(event.inputMessages.map((m) => m.content)).toEqual([REDACTED_PROMPT]);
      expect(event.outputText).toBe(
        'I updated the account of <PERSON>; email <EMAIL_ADDRESS> and card <CREDIT_CARD> are on file.',
      );
      expect(event.guardrails).toMatchObject({
        inputPiiCounts: { PERSON: 1, EMAIL_ADDRESS: 1, CREDIT_CARD: 1 },
        outputPiiCounts: { PERSON: 1, EMAIL_ADDRESS: 1, CREDIT_CARD: 1 },
        redacted: true,
        redactedUpstream: false,
      });
    });

    it('sends the provider the redacted messages with redact_upstream', async () => {
      const response = await complete('redact-upstream', userAsks(PII_PROMPT));
      expect(response.text).toBe('Done: the account of <PERSON> is updated.');
      const sent = upstream.lastRequest()?.body as { messages: { content: string }[] };
      expect(sent.messages.map((m) => m.content)).toEqual([REDACTED_PROMPT]);
      const event = await eventOf(response.inferenceId);
      expect(event.guardrails).toMatchObject({ redacted: true, redactedUpstream: true });
    });

    it('keeps no unredacted text in the answer stored for repeats of an idempotency key', async () => {
      const request = {
        functionName: 'redact',
        messages: userAsks(PII_PROMPT),
        idempotencyKey: 'pii-1',
      };
      const first = await service.complete(request, key.token);
      expect(first.text).toBe(PII_ANSWER);
      const claims = await service.bus.kv(bucketsOf(service.bus.prefix).idempotency);
      const claim = await claims.get(recordKey(tenantId, 'pii-1'));
      const record = JSON.parse(Buffer.from(claim!.value).toString('utf8')) as { response: string };
      const all = inference.CompleteResponse.decode(Buffer.from(record.response, 'base64')).text;
      expect(all).toContain('<EMAIL_ADDRESS>');
      for (const value of planted) expect(all).not.toContain(value);

      const repeat = await service.complete(request, key.token);
      expect(repeat).toMatchObject({ idempotentReplay: true, inferenceId: first.inferenceId });
    });
  });

  describe('the fallback answer', () => {
    it('answers when every model of the chain failed, with the real attempts recorded', async () => {
      const response = await complete('all-fail', userAsks('Help [sim:fail]'));
      expect(response).toMatchObject({ text: fallback.text, fallbackAnswer: true, model: '' });
      expect(response.attempts.length).toBe(6);
      const event = await eventOf(response.inferenceId);
      expect(event).toMatchObject({
        status: FAILED,
        outputText: fallback.text,
        fallbackAnswer: true,
      });
      expect(event.attempts.map((a) => a.status)).toEqual(Array(6).fill(FAILED));
    });

    it('answers a stream the same way: one delta and an end marked as the fallback', async () => {
      const { messages, status: ended } = await service.stream(
        { functionName: 'all-fail', messages: userAsks('Help [sim:fail]') },
        key.token,
      );
      expect(ended.code).toBe(status.OK);
      expect(messages.map((m) => m.delta?.text ?? '').join('')).toBe(fallback.text);
      expect(messages[messages.length - 1].end).toMatchObject({ fallbackAnswer: true });
      const event = await eventOf(messages[0].inferenceId);
      expect(event).toMatchObject({ status: FAILED, fallbackAnswer: true, streamed: true });
    });
  });
});
