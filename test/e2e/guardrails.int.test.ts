// Personal data under a function's PII redaction, through every real process: the caller gets
// the model's answer as it was, and nothing Keel stores or publishes (events, their offloaded
// payloads, the idempotency bucket, inference's, evaluation's and billing's databases) holds
// the planted values, only `<TYPE>` markers and counts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { durableNameOf, events, inference, router } from '@keel/contracts';
import { inferenceClient } from '@keel/kit';
import { InferencePayloads } from '@keel/payloads';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually, uniqueName } from '@keel/testing';
import pino from 'pino';
import { type Cluster, startCluster } from '../support/cluster';
import { type Clients, clientsOf, userMessage } from '../support/clients';
import { busTexts, mongoTexts } from '../support/stored-texts';

jest.setTimeout(180_000);

const EMAIL = 'dana.kowalski@example.com';
const CARD = '4111 1111 1111 1111';
const PERSON = 'Jennifer Walsh';
// Each part of the name: half a name redacted is a name kept.
const PLANTED = [EMAIL, CARD, ...PERSON.split(' ')];
const PROMPT = `Please update the account of ${PERSON}: email ${EMAIL}, card ${CARD}.`;
const ANSWER = `I updated the account of ${PERSON}; email ${EMAIL} and card ${CARD} are on file.`;
// Over the 64 KiB an event carries inline: the messages go to the payload object store.
const LARGE_CONTEXT = `Notes about the account of ${PERSON}; email ${EMAIL}: ${'the account is in good standing. '.repeat(2_500)}`;

describe('PII redaction across every service', () => {
  let upstream: SimUpstream;
  let cluster: Cluster;
  let clients: Clients;
  let stub: inference.InferenceServiceClient;
  let bus: Bus;
  let tenantKey: string;
  let replayDir: string;
  const published = new Map<string, inference.InferenceCompleted>();

  beforeAll(async () => {
    replayDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-pii-'));
    const replayFile = path.join(replayDir, 'scripted.jsonl');
    fs.writeFileSync(
      replayFile,
      JSON.stringify({ prompt: PROMPT, scripted: { response: ANSWER } }),
    );
    upstream = await startSimUpstream({ replayFile, replayModels: { scripted: 'scripted' } });
    cluster = await startCluster(['router', 'inference', 'evaluation', 'billing']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    stub = inferenceClient(cluster.address('inference'));
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'guardrails-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.consume(events.inferenceCompleted, {
      durable: durableNameOf(uniqueName('test'), events.inferenceCompleted),
      handler: async (event) => void published.set(event.inferenceId, event),
    });

    const admin = cluster.adminKey();
    await clients.putProvider(admin, {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
    });
    await clients.putModel(admin, {
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
    });
    const created = await clients.createTenant(admin, 'initech');
    tenantKey = created.apiKeySecret;
    await clients.putFunction(admin, {
      tenantId: created.tenant!.tenantId,
      functionName: 'accounts.update',
      variants: [{ variantName: 'v1', modelChain: ['scripted'], defaultMaxTokens: 0 }],
      policy: { fixed: { variantName: 'v1' } },
      guardrails: router.Guardrails.fromPartial({ pii: { redactUpstream: false } }),
      makeDefault: true,
    });
  });

  afterAll(async () => {
    stub?.close();
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
    await upstream?.stop();
    if (replayDir) fs.rmSync(replayDir, { recursive: true, force: true });
  });

  // The function reaches inference with the policy snapshot shortly after it is put.
  const complete = (request: Partial<inference.CompleteRequest>) =>
    eventually(
      async () => {
        const reply = await clients.complete(tenantKey, request);
        return reply.model === 'scripted' ? reply : null;
      },
      { what: 'Complete on the scripted model' },
    );
  const eventOf = (inferenceId: string) =>
    eventually(() => published.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });

  function stream(request: Partial<inference.StreamRequest>): Promise<inference.StreamResponse[]> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${tenantKey}`);
    const call = stub.stream(inference.StreamRequest.fromPartial(request), metadata);
    const messages: inference.StreamResponse[] = [];
    return new Promise((resolve, reject) => {
      call.on('data', (message: inference.StreamResponse) => messages.push(message));
      call.on('status', (status: grpc.StatusObject) =>
        status.code === grpc.status.OK ? resolve(messages) : reject(new Error(status.details)),
      );
      call.on('error', () => undefined);
    });
  }

  it('stores and publishes no planted value anywhere, only markers and counts', async () => {
    const small = await complete({ messages: [userMessage(PROMPT)], idempotencyKey: 'pii-e2e' });
    const large = await complete({
      messages: [userMessage(LARGE_CONTEXT), userMessage(PROMPT)],
    });
    const streamed = await stream({ messages: [userMessage(PROMPT)] });
    const streamedId = streamed[0].inferenceId;
    // The caller's own answer is the model's, unredacted.
    expect(small.text).toBe(ANSWER);
    expect(streamed.map((m) => m.delta?.text ?? '').join('')).toBe(ANSWER);
    const ids = [small.inferenceId, large.inferenceId, streamedId];

    const recorded = await Promise.all(ids.map(eventOf));
    for (const event of recorded) {
      expect(event.guardrails).toMatchObject({ redacted: true, redactedUpstream: false });
      expect(event.guardrails?.outputPiiCounts).toEqual({
        PERSON: 1,
        EMAIL_ADDRESS: 1,
        CREDIT_CARD: 1,
      });
    }
    expect(recorded[0].outputText).toBe(
      'I updated the account of <PERSON>; email <EMAIL_ADDRESS> and card <CREDIT_CARD> are on file.',
    );
    expect(recorded[1].guardrails?.inputPiiCounts).toEqual({
      PERSON: 2,
      EMAIL_ADDRESS: 2,
      CREDIT_CARD: 1,
    });
    // The large inference's text was offloaded; what is stored there is redacted too.
    expect(recorded[1].payload).toBeDefined();
    const payload = await (await InferencePayloads.open(bus)).read(recorded[1]);
    expect(payload.inputMessages[0].content).toMatch(
      /^Notes about the account of <PERSON>; email <EMAIL_ADDRESS>: the account/,
    );

    // Billing and evaluation have stored what they make of each inference.
    const ledger = cluster.db('billing').collection('ledger');
    const evaluations = cluster.db('evaluation').collection('evaluations');
    await eventually(
      async () =>
        (await ledger.countDocuments({ inference_id: { $in: ids } })) === 3 &&
        (await evaluations.countDocuments({ inference_id: { $in: ids } })) >= 6,
      { what: 'the ledger documents and evaluations of the three inferences', timeoutMs: 60_000 },
    );

    const places = [
      ...recorded.map((event) => ({
        where: `event ${event.inferenceId}`,
        text: JSON.stringify(inference.InferenceCompleted.toJSON(event)),
      })),
      { where: 'payload', text: JSON.stringify(inference.InferencePayload.toJSON(payload)) },
      ...(await mongoTexts(cluster, ['inference', 'evaluation', 'billing'])),
      // The payload object store's chunks are gzipped: the payload read above stands for them.
      ...(await busTexts(bus, cluster.prefix)),
    ];
    expect(places.filter(({ where }) => where.includes('db')).length).toBeGreaterThanOrEqual(2);
    expect(places.filter(({ where }) => where.includes('idempotency')).length).toBe(1);
    const leaks = places.flatMap(({ where, text }) =>
      PLANTED.filter((value) => text.includes(value)).map((value) => `${value} in ${where}`),
    );
    expect(leaks).toEqual([]);
  });
});
