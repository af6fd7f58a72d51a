// Providers configured through the router, answered by the sim upstream over HTTP, billed by
// billing: every service a real process. The upstream requires the provider's secret, which
// only the inference process's environment holds; it must never show up anywhere else.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connectBus, type Bus } from '@keel/bus';
import { inference, router, streamOf } from '@keel/contracts';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { inferenceClient } from '@keel/kit';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';
import { busTexts, mongoTexts } from '../support/stored-texts';

jest.setTimeout(120_000);

const SECRET_ENV = 'KEEL_E2E_UPSTREAM_KEY';
const SECRET = `sk-planted-${randomBytes(12).toString('hex')}`;
const { INFERENCE_STATUS_CANCELLED: CANCELLED } = inference.InferenceStatus;

interface Streamed {
  messages: inference.StreamResponse[];
  status: grpc.StatusObject;
}

describe('providers through the router, billed once, secret kept', () => {
  let upstream: SimUpstream;
  let cluster: Cluster;
  let clients: Clients;
  let bus: Bus;
  let stub: inference.InferenceServiceClient;
  let tenantId: string;
  let tenantKey: string;

  beforeAll(async () => {
    upstream = await startSimUpstream({ secret: SECRET });
    cluster = await startCluster(['router', 'billing']);
    await cluster.start('inference', { [SECRET_ENV]: SECRET });
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    stub = inferenceClient(cluster.address('inference'));
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'providers-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });

    const admin = cluster.adminKey();
    await clients.putProvider(admin, {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
      secretEnv: SECRET_ENV,
    });
    await clients.putModel(admin, {
      name: 'up-small',
      provider: 'upstream',
      providerModel: 'up-small',
      tier: router.ModelTier.MODEL_TIER_SMALL,
      contextWindow: 128_000n,
      maxOutputTokens: 4_096n,
      price: {
        inputNanoUsdPerMtok: 1_000_000_000n,
        outputNanoUsdPerMtok: 2_000_000_000n,
        cachedInputNanoUsdPerMtok: 500_000_000n,
      },
      tokenizer: 'o200k_base',
      capabilities: ['streaming', 'tools'],
    });
    const created = await clients.createTenant(admin, 'globex');
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
    await clients.putFunction(admin, {
      tenantId,
      functionName: 'support.answer',
      variants: [{ variantName: 'v1', modelChain: ['up-small'], defaultMaxTokens: 64 }],
      policy: { fixed: { variantName: 'v1' } },
    });
  });

  afterAll(async () => {
    stub?.close();
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
    await upstream?.stop();
  });

  afterEach(() => upstream.configure({ tokensPerSecond: 0, ttftMs: 0 }));

  const ask = (content: string, extra: Partial<inference.CompleteRequest> = {}) => ({
    functionName: 'support.answer',
    messages: [userMessage(content)],
    ...extra,
  });
  // The function reaches inference with the policy snapshot shortly after it is put.
  const complete = (request: Partial<inference.CompleteRequest>) =>
    eventually(() => clients.complete(tenantKey, request), { what: 'Complete on up-small' });

  function stream(
    request: Partial<inference.StreamRequest>,
    cancelAfter?: number,
  ): Promise<Streamed> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${tenantKey}`);
    const call = stub.stream(inference.StreamRequest.fromPartial(request), metadata);
    const messages: inference.StreamResponse[] = [];
    return new Promise((resolve) => {
      call.on('data', (message: inference.StreamResponse) => {
        messages.push(message);
        if (messages.length === cancelAfter) call.cancel();
      });
      call.on('status', (status: grpc.StatusObject) => resolve({ messages, status }));
      call.on('error', () => undefined);
    });
  }

  const ledger = () => cluster.db('billing').collection('ledger');
  const ledgerOf = (inferenceId: string) =>
    eventually(() => ledger().findOne({ tenant_id: tenantId, inference_id: inferenceId }), {
      what: `the ledger document of ${inferenceId}`,
    });

  it('bills a stream with the usage the provider reported', async () => {
    await complete(ask('warm up'));
    const result = await stream(ask('How do refunds work?'));
    expect(result.status.code).toBe(grpc.status.OK);
    const end = result.messages.at(-1)!.end!;
    expect(end.usage).toMatchObject({ estimated: false });
    const entry = await ledgerOf(result.messages[0].inferenceId);
    expect(entry.total_nano_usd).toBe(end.costNanoUsd);
    expect(entry.line_items).toHaveLength(1);
    expect(entry.line_items[0]).toMatchObject({
      model: 'up-small',
      output_tokens: end.usage!.outputTokens,
    });
  });

  it('bills a stream the caller cancels, as its event records it: CANCELLED, estimated', async () => {
    upstream.configure({ tokensPerSecond: 20 });
    const result = await stream(ask('Explain the refund policy at length'), 1);
    expect(result.status.code).toBe(grpc.status.CANCELLED);
    const inferenceId = result.messages[0].inferenceId;
    const entry = await ledgerOf(inferenceId);
    const event = await eventOnStream(inferenceId);
    expect(event.status).toBe(CANCELLED);
    expect(event.usage).toMatchObject({ estimated: true });
    expect(entry.total_nano_usd).toBe(event.costNanoUsd);
    expect(entry.total_nano_usd).toBeGreaterThan(0n);
    expect(entry.line_items[0].output_tokens).toBe(event.usage!.outputTokens);
  });

  it('bills a stream that fails after its first token, answered UNAVAILABLE', async () => {
    const result = await stream(ask('Tell me a story [sim:fail-after=2]'));
    expect(result.status.code).toBe(grpc.status.UNAVAILABLE);
    const entry = await ledgerOf(result.messages[0].inferenceId);
    expect(entry.total_nano_usd).toBeGreaterThan(0n);
  });

  it('answers an idempotent repeat and its concurrent twin from one provider call, one ledger document', async () => {
    upstream.configure({ ttftMs: 300 });
    const request = ask('Where is my parcel?', { idempotencyKey: 'parcel-1' });
    await complete(ask('warm up'));
    const before = upstream.counters().byModel['up-small'] ?? 0;
    const [one, two] = await Promise.all([
      clients.complete(tenantKey, request),
      clients.complete(tenantKey, request),
    ]);
    const three = await clients.complete(tenantKey, request);
    expect(two.inferenceId).toBe(one.inferenceId);
    expect(three.inferenceId).toBe(one.inferenceId);
    expect([one, two, three].filter((r) => r.idempotentReplay)).toHaveLength(2);
    expect((upstream.counters().byModel['up-small'] ?? 0) - before).toBe(1);

    await ledgerOf(one.inferenceId);
    expect(
      await ledger().countDocuments({ tenant_id: tenantId, inference_id: one.inferenceId }),
    ).toBe(1);
  });

  it('sends the secret to the provider, and never stores, publishes or logs it', async () => {
    expect(upstream.counters().unauthorized).toBe(0);
    expect(upstream.counters().answered).toBeGreaterThan(0);
    // A refused provider call must not quote the secret either.
    const refused = await grpcError(clients.complete(tenantKey, ask('Fail [sim:status=401]')));
    expect(refused.details).not.toContain(SECRET);

    const places = [
      ...(['router', 'inference', 'billing'] as const).map((service) => ({
        where: `${service} log`,
        text: cluster.logOf(service),
      })),
      ...(await mongoTexts(cluster, ['router', 'inference', 'billing'])),
      ...(await busTexts(bus, cluster.prefix)),
    ];
    expect(places.length).toBeGreaterThan(5);
    expect(places.filter(({ text }) => text.includes(SECRET)).map(({ where }) => where)).toEqual(
      [],
    );
    // The places are the ones that hold the requests: the policy snapshot names the variable.
    expect(places.some(({ text }) => text.includes(SECRET_ENV))).toBe(true);
    expect(
      places.some(({ where, text }) => where.startsWith('billing') && text.includes('up-small')),
    ).toBe(true);
  });

  /** The InferenceCompleted of `inferenceId`, read from the inference stream. */
  async function eventOnStream(inferenceId: string): Promise<inference.InferenceCompleted> {
    const jsm = await jetstreamManager(bus.connection);
    const name = streamOf('inference', cluster.prefix).name;
    return eventually(
      async () => {
        const { state } = await jsm.streams.info(name);
        for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
          const message = await jsm.streams.getMessage(name, { seq }).catch(() => null);
          if (!message) continue;
          const event = inference.InferenceCompleted.decode(message.data);
          if (event.inferenceId === inferenceId) return event;
        }
        return null;
      },
      { what: `the event of ${inferenceId}` },
    );
  }
});
