// Retrieval in the request path and the semantic cache, set through the router: router,
// retrieval and inference real processes, the model the sim upstream over HTTP, whose recorded
// request shows what the model was given and whose request count shows when it was called.
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus } from '@keel/bus';
import { durableNameOf, events, inference, retrieval, router } from '@keel/contracts';
import { call } from '@keel/kit';
import { type SimUpstream, startSimUpstream } from '@keel/sim-upstream';
import { eventually, uniqueName } from '@keel/testing';
import pino from 'pino';
import { runCli } from '../support/cli';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';

jest.setTimeout(180_000);

const SYSTEM = 'system';

/** A handbook whose passages each answer one question, and are long enough to need a budget. */
const HANDBOOK = [
  {
    documentId: 'refunds',
    text:
      'Annual plans may be refunded in full within 30 days of purchase. After 30 days an annual ' +
      'plan is refunded pro rata for the months not yet started, minus a handling fee of 5 euros.',
  },
  {
    documentId: 'shipping',
    text:
      'Hardware orders ship from the Rotterdam warehouse within two business days. Deliveries ' +
      'inside the European Union arrive in three to five business days, tracked from dispatch.',
  },
  {
    documentId: 'passwords',
    text:
      'A password is reset from the sign-in page with the Forgot password link. The reset email ' +
      'is valid for one hour; an administrator can also force a reset from the members page.',
  },
  {
    documentId: 'invoices',
    text:
      'Invoices are issued on the first day of each billing period and can be downloaded as PDF ' +
      'from the billing page. A company VAT number added before the period appears on the invoice.',
  },
];

// A GSM8K question, a paraphrase (clauses reordered, `altogether` said `in total`) and two
// near-misses.
const QUESTION =
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in ' +
  'May. How many clips did Natalia sell altogether in April and May?';
const PARAPHRASE =
  'In April Natalia sold clips to 48 of her friends, and in May she sold half as many clips. ' +
  'In total, how many clips did Natalia sell in April and May?';
const ONE_NUMBER_CHANGED = QUESTION.replace('48', '56');
const NEGATED = 'Is a password reset email valid for one hour?';
const NEGATION = 'Is a password reset email not valid for one hour?';

interface UpstreamMessage {
  role: string;
  content: string;
}

describe('retrieval in the request path and the semantic cache', () => {
  let upstream: SimUpstream;
  let cluster: Cluster;
  let clients: Clients;
  let retrievalStub: retrieval.RetrievalServiceClient;
  let bus: Bus;
  const published = new Map<string, inference.InferenceCompleted>();
  const tenants: Record<'acme' | 'globex', { id: string; key: string }> = {
    acme: { id: '', key: '' },
    globex: { id: '', key: '' },
  };

  beforeAll(async () => {
    upstream = await startSimUpstream();
    cluster = await startCluster(['router', 'retrieval']);
    await cluster.start('inference', { KEEL_RETRIEVAL_ADDRESS: cluster.address('retrieval') });
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    retrievalStub = new retrieval.RetrievalServiceClient(
      cluster.address('retrieval'),
      grpc.credentials.createInsecure(),
    );
    const admin = cluster.adminKey();
    await clients.putProvider(admin, {
      name: 'upstream',
      kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
      baseUrl: `${upstream.url}/v1`,
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
      capabilities: ['streaming'],
    });
    for (const name of ['acme', 'globex'] as const) {
      const created = await clients.createTenant(admin, name);
      tenants[name] = { id: created.tenant!.tenantId, key: created.apiKeySecret };
    }
    // Only acme has the handbook; globex's functions name a collection of the same name.
    await retrievalCall(admin, (metadata, callback) =>
      retrievalStub.createCollection(
        retrieval.CreateCollectionRequest.fromPartial({
          tenantId: tenants.acme.id,
          collectionName: 'handbook',
        }),
        metadata,
        callback,
      ),
    );
    await retrievalCall(admin, (metadata, callback) =>
      retrievalStub.ingestDocuments(
        retrieval.IngestDocumentsRequest.fromPartial({
          tenantId: tenants.acme.id,
          collectionName: 'handbook',
          documents: HANDBOOK,
        }),
        metadata,
        callback,
      ),
    );
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'retrieval-path-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.consume(events.inferenceCompleted, {
      durable: durableNameOf(uniqueName('test'), events.inferenceCompleted),
      handler: async (event) => void published.set(event.inferenceId, event),
    });
  });

  afterAll(async () => {
    retrievalStub?.close();
    clients?.close();
    await bus?.drain();
    await cluster?.shutdown();
    await upstream?.stop();
  });

  function retrievalCall<Res>(
    key: string,
    invoke: (
      metadata: grpc.Metadata,
      callback: (error: grpc.ServiceError | null, response: Res) => void,
    ) => void,
  ): Promise<Res> {
    return call<Res>(key, invoke);
  }

  /** Calls Stream and collects its messages until it ends. */
  async function streamAsk(tenant: 'acme' | 'globex', functionName: string, content: string) {
    const stub = new inference.InferenceServiceClient(
      cluster.address('inference'),
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${tenants[tenant].key}`);
    const messages: inference.StreamResponse[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const stream = stub.stream(
          inference.StreamRequest.fromPartial({ functionName, messages: [userMessage(content)] }),
          metadata,
        );
        stream.on('data', (message: inference.StreamResponse) => messages.push(message));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
    } finally {
      stub.close();
    }
    return messages;
  }
  const keel = (args: string[]) =>
    runCli(args, {
      KEEL_ROUTER_ADDR: cluster.address('router'),
      KEEL_ADMIN_KEY: cluster.adminKey(),
    });
  const putFunction = (
    tenant: 'acme' | 'globex',
    functionName: string,
    settings: Partial<router.PutFunctionRequest>,
  ) =>
    clients.putFunction(cluster.adminKey(), {
      tenantId: tenants[tenant].id,
      functionName,
      variants: [{ variantName: 'v1', modelChain: ['up-small'], defaultMaxTokens: 64 }],
      policy: { fixed: { variantName: 'v1' } },
      ...settings,
    });
  /** Asks until the function reaches inference with the policy snapshot. */
  const ask = (tenant: 'acme' | 'globex', functionName: string, content: string) =>
    eventually(
      () =>
        clients.complete(tenants[tenant].key, { functionName, messages: [userMessage(content)] }),
      { what: `Complete on ${functionName}`, timeoutMs: 60_000 },
    );
  const eventOf = (inferenceId: string) =>
    eventually(() => published.get(inferenceId), { what: `InferenceCompleted ${inferenceId}` });
  /** The cosine similarity of two texts' embeddings, by retrieval's Embed (default model). */
  const similarity = async (a: string, b: string) => {
    const { embeddings } = await retrievalCall<retrieval.EmbedResponse>(
      tenants.acme.key,
      (metadata, callback) =>
        retrievalStub.embed(
          retrieval.EmbedRequest.fromPartial({ texts: [a, b] }),
          metadata,
          callback,
        ),
    );
    const [x, y] = embeddings.map((e) => e.values);
    const norm = (v: number[]) => Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
    return x.reduce((sum, value, i) => sum + value * y[i], 0) / (norm(x) * norm(y));
  };
  const sentMessages = () =>
    (upstream.lastRequest()?.body as { messages: UpstreamMessage[] }).messages;

  describe('a function with a collection', () => {
    beforeAll(async () => {
      await putFunction('acme', 'support', {
        retrieval: router.RetrievalConfig.fromPartial({ collection: 'handbook' }),
      });
      // 60 tokens hold the header and about one passage of the handbook, not two.
      // Through the CLI, as an operator would.
      const put = await keel([
        'function',
        'support.tight',
        '--tenant',
        tenants.acme.id,
        '--models',
        'up-small',
        '--max-tokens',
        '64',
        '--collection',
        'handbook',
        '--top-k',
        '4',
        '--max-context-tokens',
        '60',
      ]);
      expect(put).toMatchObject({ code: 0, stderr: '' });
      await putFunction('globex', 'support', {
        retrieval: router.RetrievalConfig.fromPartial({ collection: 'handbook' }),
      });
    });

    it('gives the model the matching passages, numbered, in a system message before the messages', async () => {
      const question = 'Within how many days is an annual plan refunded in full?';
      const answer = await ask('acme', 'support', question);

      const sent = sentMessages();
      expect(sent.map((m) => m.role)).toEqual([SYSTEM, 'user']);
      expect(sent[0].content).toContain(`[1] ${HANDBOOK[0].text}`);
      expect(sent[1].content).toBe(question);

      const event = await eventOf(answer.inferenceId);
      expect(event.retrieval).toMatchObject({
        collection: 'handbook',
        chunksRetrieved: HANDBOOK.length,
        renderedContext: sent[0].content,
      });
      expect(event.retrieval!.chunkIds[0]).toBe('refunds#0');
      expect(event.retrieval!.chunkIds).toHaveLength(HANDBOOK.length);
      expect(event.retrieval!.contextTokens).toBeGreaterThan(0n);
      // Nothing dropped: the budget saved no tokens.
      expect(event.retrieval!.retrievedTokens).toBe(event.retrieval!.contextTokens);
      // The model was billed for the passages it read.
      expect(event.usage!.inputTokens).toBeGreaterThan(event.retrieval!.contextTokens);
    });

    it('fits the passages into the budget, dropping the least relevant, and records the tokens saved', async () => {
      const answer = await ask(
        'acme',
        'support.tight',
        'How long do hardware orders take to ship?',
      );

      const event = await eventOf(answer.inferenceId);
      const context = event.retrieval!;
      expect(context.chunksRetrieved).toBe(4);
      expect(context.chunkIds[0]).toBe('shipping#0');
      expect(context.chunkIds.length).toBeLessThan(4);
      expect(context.contextTokens).toBeLessThanOrEqual(60n);
      expect(context.retrievedTokens - context.contextTokens).toBeGreaterThan(0n);
      expect(sentMessages()[0].content).toBe(context.renderedContext);
      expect(context.renderedContext).not.toContain('[4]');
    });

    it('streams with the same context', async () => {
      const messages = await streamAsk('acme', 'support', 'How do I reset a password?');

      expect(sentMessages()[0].content).toContain(`[1] ${HANDBOOK[2].text}`);
      const event = await eventOf(messages[0].inferenceId);
      expect(event.streamed).toBe(true);
      expect(event.retrieval!.chunkIds[0]).toBe('passwords#0');
    });

    it("reads the caller's own tenant only: another tenant's function naming the collection fails", async () => {
      const refused = await eventually(
        () =>
          grpcError(
            clients.complete(tenants.globex.key, {
              functionName: 'support',
              messages: [userMessage('Within how many days is an annual plan refunded in full?')],
            }),
          ).then((error) => (error.code === grpc.status.FAILED_PRECONDITION ? error : null)),
        { what: "globex's support function to be routed", timeoutMs: 60_000 },
      );
      expect(refused.details).toContain("collection 'handbook'");
    });
  });

  describe('the semantic cache', () => {
    const MIN_SIMILARITY = 0.9;
    const policy = { minSimilarity: MIN_SIMILARITY, ttl: { seconds: 60n, nanos: 0 } };

    beforeAll(async () => {
      const put = await keel([
        'function',
        'tutor',
        '--tenant',
        tenants.acme.id,
        '--models',
        'up-small',
        '--semantic-cache-ttl',
        '60',
        '--semantic-cache-min-similarity',
        String(MIN_SIMILARITY),
      ]);
      expect(put).toMatchObject({ code: 0, stderr: '' });
      await putFunction('globex', 'tutor', { semanticCache: policy });
    });

    it('answers a paraphrase from the cache, marked semantic with its similarity, cost 0', async () => {
      const first = await ask('acme', 'tutor', QUESTION);
      const before = upstream.counters().requests;

      const hit = await clients.complete(tenants.acme.key, {
        functionName: 'tutor',
        messages: [userMessage(PARAPHRASE)],
      });

      expect(upstream.counters().requests).toBe(before);
      expect(hit).toMatchObject({
        text: first.text,
        costNanoUsd: 0n,
        cacheHit: {
          sourceInferenceId: first.inferenceId,
          savedNanoUsd: first.costNanoUsd,
          semantic: true,
        },
      });
      expect(hit.cacheHit!.similarity).toBeGreaterThan(0.9);
      expect(hit.cacheHit!.similarity).toBeLessThan(1);
      const event = await eventOf(hit.inferenceId);
      expect(event.cacheHit).toMatchObject({
        semantic: true,
        sourceInferenceId: first.inferenceId,
      });
      expect(event.costNanoUsd).toBe(0n);
    });

    it('streams a hit as one delta, then the end marked semantic', async () => {
      const first = await ask('acme', 'tutor', QUESTION);
      const before = upstream.counters().requests;

      const messages = await streamAsk('acme', 'tutor', PARAPHRASE);

      expect(upstream.counters().requests).toBe(before);
      expect(messages.map((m) => m.delta?.text ?? null)).toEqual([first.text, null]);
      // The question was answered by a model in the test before: `first` may be a hit of it.
      expect(messages[1].end?.cacheHit).toMatchObject({
        semantic: true,
        sourceInferenceId: first.cacheHit?.sourceInferenceId ?? first.inferenceId,
      });
      expect((await eventOf(messages[1].inferenceId)).streamed).toBe(true);
    });

    it('calls the model for the question with one number changed', async () => {
      // Close enough in embedding to hit: only what it asks tells it apart.
      expect(await similarity(QUESTION, ONE_NUMBER_CHANGED)).toBeGreaterThanOrEqual(MIN_SIMILARITY);
      await ask('acme', 'tutor', QUESTION);
      const before = upstream.counters().requests;

      const answer = await clients.complete(tenants.acme.key, {
        functionName: 'tutor',
        messages: [userMessage(ONE_NUMBER_CHANGED)],
      });

      expect(answer.cacheHit).toBeUndefined();
      expect(upstream.counters().requests).toBe(before + 1);
    });

    it('calls the model for the negated question', async () => {
      expect(await similarity(NEGATED, NEGATION)).toBeGreaterThanOrEqual(MIN_SIMILARITY);
      await ask('acme', 'tutor', NEGATED);
      // The first question's answer is stored: asked again, it hits.
      const repeat = await clients.complete(tenants.acme.key, {
        functionName: 'tutor',
        messages: [userMessage(NEGATED)],
      });
      expect(repeat.cacheHit?.semantic).toBe(true);
      const before = upstream.counters().requests;

      const answer = await clients.complete(tenants.acme.key, {
        functionName: 'tutor',
        messages: [userMessage(NEGATION)],
      });

      expect(answer.cacheHit).toBeUndefined();
      expect(upstream.counters().requests).toBe(before + 1);
    });

    it('neither looks up nor keeps a request in which the guardrails found personal data', async () => {
      await putFunction('acme', 'tutor.private', {
        semanticCache: { minSimilarity: 0.5, ttl: policy.ttl },
        guardrails: router.Guardrails.fromPartial({
          pii: { types: [router.PiiType.PII_TYPE_EMAIL_ADDRESS] },
        }),
      });
      const plain = 'Where is my order 1234 now?';
      const withEmail = `${plain} Reply to dana.kowalski@example.com please.`;
      expect(await similarity(plain, withEmail)).toBeGreaterThanOrEqual(0.5);
      await ask('acme', 'tutor.private', plain);
      const repeat = await clients.complete(tenants.acme.key, {
        functionName: 'tutor.private',
        messages: [userMessage(plain)],
      });
      expect(repeat.cacheHit?.semantic).toBe(true);
      const before = upstream.counters().requests;

      const answer = await clients.complete(tenants.acme.key, {
        functionName: 'tutor.private',
        messages: [userMessage(withEmail)],
      });

      expect(answer.cacheHit).toBeUndefined();
      expect(upstream.counters().requests).toBe(before + 1);
    });

    it("never serves one tenant's answer to another", async () => {
      await ask('acme', 'tutor', QUESTION);
      const before = upstream.counters().requests;

      const answer = await ask('globex', 'tutor', QUESTION);

      expect(answer.cacheHit).toBeUndefined();
      expect(upstream.counters().requests).toBe(before + 1);
    });
  });

  // Last: it stops the retrieval service.
  describe('with retrieval down', () => {
    beforeAll(async () => {
      await cluster.stop('retrieval');
    });

    it('refuses a function with a collection UNAVAILABLE, naming retrieval', async () => {
      const error = await grpcError(
        clients.complete(tenants.acme.key, {
          functionName: 'support',
          messages: [userMessage('Within how many days is an annual plan refunded in full?')],
        }),
      );
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(error.details).toContain("retrieving from collection 'handbook' failed");
    });

    it('answers a function with a semantic cache from the model, as a miss', async () => {
      const before = upstream.counters().requests;
      const answer = await clients.complete(tenants.acme.key, {
        functionName: 'tutor',
        messages: [userMessage(PARAPHRASE)],
      });
      expect(answer.cacheHit).toBeUndefined();
      expect(upstream.counters().requests).toBe(before + 1);
    });
  });
});
