import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { type Bus, connectBus } from '@keel/bus';
import { builtinCatalog, costOf, findModel } from '@keel/catalog';
import { loadConfig } from '@keel/config';
import {
  billing,
  common,
  durableNameOf,
  events,
  inference,
  router,
  streamOf,
  subjectOf,
} from '@keel/contracts';
import { catalogVersionKey, openSnapshotBuckets } from '@keel/snapshots';
import { type Store, connectStore } from '@keel/store';
import { eventually, testServers, uniqueName } from '@keel/testing';
import { type ConsumerInfo, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Collection } from 'mongodb';
import pino from 'pino';
import { type BillingApp, startBilling } from './app';
import { configShape } from './config';
import type { LedgerDocument } from './store/ledger';
import { healthStatus } from '@keel/local';

// The billing service on the real NATS and Mongo servers, started in-process as main.ts
// would start it; each suite has its own bus prefix and database.

const { INFERENCE_STATUS_OK: OK, INFERENCE_STATUS_FAILED: FAILED } = inference.InferenceStatus;
const DURABLE = durableNameOf('billing', events.inferenceCompleted);
const REPO_ROOT = path.resolve(__dirname, '../../..');

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function captureLogs() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

function envFor(prefix: string): Record<string, string> {
  const { natsUrl, mongoUrl } = testServers();
  return {
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    KEEL_BUS_PREFIX: prefix,
    KEEL_DB_PREFIX: prefix,
    KEEL_BIND_HOST: '127.0.0.1',
    KEEL_BILLING_PORT: '0',
    KEEL_BILLING_ACK_WAIT_MS: '1000',
  };
}

/** What the test sees of one deployment: its bus, its ledger, what billing announced. */
class Deployment {
  readonly billed: billing.InferenceBilled[] = [];

  private constructor(
    readonly prefix: string,
    readonly bus: Bus,
    readonly store: Store,
  ) {}

  static async open(prefix: string): Promise<Deployment> {
    const bus = await connectBus({
      servers: testServers().natsUrl,
      name: 'billing-test',
      prefix,
      logger: pino({ level: 'silent' }),
    });
    await bus.ensureStreams(['inference', 'billing']);
    const store = await connectStore({
      url: testServers().mongoUrl,
      dbPrefix: prefix,
      service: 'billing',
    });
    const deployment = new Deployment(prefix, bus, store);
    await bus.consume(events.inferenceBilled, {
      durable: 'billing-test',
      // One at a time, so announcements are collected in the order they were published.
      concurrency: 1,
      handler: async (message) => {
        deployment.billed.push(message);
      },
    });
    return deployment;
  }

  get ledger(): Collection<LedgerDocument> {
    return this.store.collection<LedgerDocument>('ledger');
  }

  async publishCatalog(catalog: router.ModelCatalog): Promise<void> {
    const { catalog: bucket } = await openSnapshotBuckets(this.bus);
    await bucket.put(
      catalogVersionKey(catalog.version),
      router.ModelCatalog.encode(catalog).finish(),
    );
  }

  /** Publishes the event; its Nats-Msg-Id is the inference id, as inference sends it. */
  async publish(event: inference.InferenceCompleted, msgId = event.inferenceId): Promise<number> {
    const { seq } = await this.bus.publish(events.inferenceCompleted, event, { msgId });
    return seq;
  }

  /** Resolves once billing has settled (acked or terminated) every message up to `seq`. */
  async settledThrough(seq: number): Promise<ConsumerInfo> {
    const jsm = await jetstreamManager(this.bus.connection);
    return eventually(
      async () => {
        const info = await jsm.consumers.info(streamOf('inference', this.prefix).name, DURABLE);
        return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 && info;
      },
      { what: `billing to settle message ${seq}` },
    );
  }

  entriesOf(event: inference.InferenceCompleted): Promise<LedgerDocument[]> {
    return this.ledger
      .find(
        { tenant_id: event.tenantId, inference_id: event.inferenceId },
        { projection: { _id: 0 } },
      )
      .toArray();
  }

  /**
   * Resolves once every announcement of a message billing has settled has been collected:
   * billing announces before it acks, so a marker inference published now is announced after
   * them, and the listener collects in order.
   */
  async collectedSoFar(): Promise<void> {
    const marker = completed();
    await this.publish(marker);
    await eventually(() => this.billedFor(marker).length > 0, {
      what: "the marker's InferenceBilled",
    });
  }

  /** How many messages the billing stream holds: what was announced, however far delivered. */
  async announcedCount(): Promise<number> {
    const jsm = await jetstreamManager(this.bus.connection);
    return (await jsm.streams.info(streamOf('billing', this.prefix).name)).state.messages;
  }

  billedFor(event: inference.InferenceCompleted): billing.InferenceBilled[] {
    return this.billed.filter((message) => message.entry?.inferenceId === event.inferenceId);
  }

  async close(): Promise<void> {
    await this.bus.drain();
    await this.store.db.dropDatabase();
    await this.store.close();
  }
}

/** An inference that fell back once: a timed-out call, a failed one that read the prompt, a served one. */
const usage = (fields: Partial<common.Usage>) => common.Usage.fromPartial(fields);
const attempt = (fields: Partial<inference.Attempt>) => inference.Attempt.fromPartial(fields);

function completed(
  fields: Partial<inference.InferenceCompleted> = {},
): inference.InferenceCompleted {
  const served = { inputTokens: 1_200n, cachedInputTokens: 200n, outputTokens: 350n };
  return inference.InferenceCompleted.fromPartial({
    inferenceId: uniqueName('inference'),
    tenantId: uniqueName('tenant'),
    functionName: 'support.answer',
    variantName: 'default',
    model: 'sim-small',
    attempts: [
      // Never sent: no line item.
      {
        model: 'sim-large',
        provider: 'sim',
        status: FAILED,
        errorMessage: 'circuit open',
        skipped: true,
      },
      {
        model: 'sim-large',
        provider: 'sim',
        status: FAILED,
        usage: { inputTokens: 1_200n },
        errorMessage: 'stream reset',
      },
      { model: 'sim-small', provider: 'sim', status: OK, usage: served },
    ],
    usage: served,
    // Inference's own figure: billing prices from the catalog and must not copy it.
    costNanoUsd: 1n,
    catalogVersion: 1n,
    status: OK,
    outputText: 'Your order ships on Monday.',
    occurredAt: new Date('2025-08-01T10:00:00.123Z'),
    ...fields,
  });
}

describe('billing', () => {
  const prefix = uniqueName('bill');
  const logs = captureLogs();
  let deployment: Deployment;
  let app: BillingApp;

  beforeAll(async () => {
    deployment = await Deployment.open(prefix);
    await deployment.publishCatalog(builtinCatalog(1n));
    app = await startBilling(loadConfig(configShape, envFor(prefix)), logs.logger);
  });

  afterAll(async () => {
    await app.stop();
    await deployment.close();
  });

  it('reports SERVING once its consumer runs', async () => {
    expect(await healthStatus(`127.0.0.1:${app.port}`)).toBe('SERVING');
  });

  it('bills an inference once, at the prices of the catalog version it names, and announces it', async () => {
    const event = completed();
    await deployment.publish(event);

    const [message] = await eventually(
      () => deployment.billedFor(event).length > 0 && deployment.billedFor(event),
      {
        what: 'InferenceBilled',
      },
    );
    const catalog = builtinCatalog(1n);
    const priceOf = (model: string) => findModel(catalog, model)!.price!;
    const largeCost = costOf(priceOf('sim-large'), event.attempts[1].usage!);
    const smallCost = costOf(priceOf('sim-small'), event.usage!);
    // 1,200 × $2.50; then 1,000 × $0.15 + 200 × $0.075 + 350 × $0.60 (per million tokens).
    expect([largeCost, smallCost]).toEqual([3_000_000n, 375_000n]);

    const entries = await deployment.entriesOf(event);
    expect(entries).toEqual([
      {
        tenant_id: event.tenantId,
        inference_id: event.inferenceId,
        function_name: 'support.answer',
        variant_name: 'default',
        model: 'sim-small',
        provider: 'sim',
        catalog_version: 1n,
        line_items: [
          {
            model: 'sim-large',
            provider: 'sim',
            input_tokens: 1_200n,
            output_tokens: 0n,
            cached_input_tokens: 0n,
            cache_write_input_tokens: 0n,
            reasoning_tokens: 0n,
            cost_nano_usd: largeCost,
            failed: true,
            unpriced: false,
          },
          {
            model: 'sim-small',
            provider: 'sim',
            input_tokens: 1_200n,
            output_tokens: 350n,
            cached_input_tokens: 200n,
            cache_write_input_tokens: 0n,
            reasoning_tokens: 0n,
            cost_nano_usd: smallCost,
            failed: false,
            unpriced: false,
          },
        ],
        total_nano_usd: largeCost + smallCost,
        unpriced: false,
        cache_hit: false,
        semantic_cache_hit: false,
        cache_saved_nano_usd: 0n,
        occurred_at: event.occurredAt,
        recorded_at: expect.any(Date),
        batch_id: expect.stringMatching(/^\d{15}-\d{9}$/),
      },
    ]);

    expect(message.entry).toEqual(
      billing.LedgerEntry.fromPartial({
        tenantId: event.tenantId,
        inferenceId: event.inferenceId,
        functionName: 'support.answer',
        variantName: event.variantName,
        lineItems: [
          {
            model: 'sim-large',
            provider: 'sim',
            usage: { inputTokens: 1_200n },
            costNanoUsd: largeCost,
            failed: true,
          },
          { model: 'sim-small', provider: 'sim', usage: event.usage, costNanoUsd: smallCost },
        ],
        totalNanoUsd: 3_375_000n,
        catalogVersion: 1n,
        occurredAt: event.occurredAt,
      }),
    );
    expect(message.occurredAt).toEqual(entries[0].recorded_at);
  });

  it('keeps one entry when the same inference is published again under another Nats-Msg-Id', async () => {
    const event = completed();
    await deployment.settledThrough(await deployment.publish(event));
    const [first] = await deployment.entriesOf(event);

    await deployment.settledThrough(await deployment.publish(event, `${event.inferenceId}-again`));

    expect(await deployment.entriesOf(event)).toEqual([first]);
    // The announcement has the inference id as its Nats-Msg-Id, so JetStream keeps one.
    await deployment.collectedSoFar();
    expect(deployment.billedFor(event)).toHaveLength(1);
  });

  it('retries an inference whose catalog version is not published yet, and bills it once it is', async () => {
    const event = completed({ catalogVersion: 9n });
    await deployment.publish(event);

    await eventually(
      () =>
        logs.lines.some(
          (line) =>
            line.msg === 'handler failed: the message will be redelivered' &&
            line.msg_id === event.inferenceId &&
            JSON.stringify(line.err).includes('catalog version 9 is not published yet'),
        ),
      { what: 'a retry of the inference' },
    );
    expect(await deployment.entriesOf(event)).toEqual([]);

    // Version 9 prices sim-small at $1 per million tokens of each kind.
    await deployment.publishCatalog(
      router.ModelCatalog.fromPartial({
        version: 9n,
        models: [
          {
            name: 'sim-small',
            provider: 'sim',
            price: {
              inputNanoUsdPerMtok: 1_000_000_000n,
              outputNanoUsdPerMtok: 1_000_000_000n,
              cachedInputNanoUsdPerMtok: 1_000_000_000n,
            },
          },
          { name: 'sim-large', provider: 'sim', price: { inputNanoUsdPerMtok: 1_000_000_000n } },
        ],
      }),
    );

    const [entry] = await eventually(
      async () => {
        const entries = await deployment.entriesOf(event);
        return entries.length > 0 && entries;
      },
      { what: 'the ledger entry', timeoutMs: 20_000 },
    );
    expect(entry.catalog_version).toBe(9n);
    // 1,200 + (1,200 + 350) tokens at 1,000 nano-USD each.
    expect(entry.line_items.map((item) => item.cost_nano_usd)).toEqual([1_200_000n, 1_550_000n]);
    expect(entry.total_nano_usd).toBe(2_750_000n);
  });

  it('moves an event that can never be billed to the dead-letter stream with its reason, and stores nothing of it', async () => {
    const noTenant = completed({ tenantId: '' });
    const noInference = completed({ inferenceId: '' });
    const badUsage = completed();
    badUsage.attempts[2].usage!.cachedInputTokens = 2_000n;

    await deployment.publish(noTenant);
    await deployment.publish(noInference, uniqueName('msg'));
    await deployment.publish(badUsage);
    const js = jetstream(deployment.bus.connection);
    const garbage = await js.publish(
      subjectOf(events.inferenceCompleted, prefix),
      new Uint8Array([0xff, 0xff, 0xff]),
    );
    await deployment.settledThrough(garbage.seq);

    const letters = await deployment.bus.deadLetters.list({ durable: DURABLE });
    expect(letters.map(({ reasonKind, reason }) => ({ reasonKind, reason }))).toEqual(
      expect.arrayContaining([
        { reasonKind: 'poison', reason: 'tenant_id is missing' },
        { reasonKind: 'poison', reason: 'inference_id is missing' },
        {
          reasonKind: 'poison',
          reason: `inference ${badUsage.inferenceId}: attempts[2]: usage.cached_input_tokens: 2000 exceeds input_tokens (1200); cached tokens are a subset of input tokens`,
        },
        {
          reasonKind: 'undecodable',
          reason: expect.stringMatching(/^payload does not decode as inference\.completed/),
        },
      ]),
    );
    expect(await deployment.ledger.countDocuments({ inference_id: noTenant.inferenceId })).toBe(0);
    expect(await deployment.ledger.countDocuments({ tenant_id: noInference.tenantId })).toBe(0);
    expect(await deployment.entriesOf(badUsage)).toEqual([]);
  });

  it('bills an attempt whose model its catalog version lacks as unpriced, at zero', async () => {
    const unknownModel = completed();
    unknownModel.attempts[2].model = 'gpt-9';
    await deployment.publish(unknownModel);

    const [entry] = await eventually(
      async () => {
        const entries = await deployment.entriesOf(unknownModel);
        return entries.length > 0 && entries;
      },
      { what: 'the ledger entry', timeoutMs: 20_000 },
    );
    expect(entry.unpriced).toBe(true);
    expect(entry.line_items.map((item) => [item.model, item.unpriced])).toEqual([
      ['sim-large', false],
      ['gpt-9', true],
    ]);
    expect(entry.line_items[1].cost_nano_usd).toBe(0n);
    expect(entry.total_nano_usd).toBe(entry.line_items[0].cost_nano_usd);
  });

  it('acks an inference whose every attempt was skipped and writes nothing for it', async () => {
    const event = completed({
      model: '',
      status: FAILED,
      attempts: [
        attempt({
          model: 'sim-small',
          provider: 'sim',
          status: FAILED,
          errorMessage: 'circuit open',
          skipped: true,
        }),
      ],
      usage: undefined,
    });
    await deployment.settledThrough(await deployment.publish(event));

    expect(await deployment.entriesOf(event)).toEqual([]);
    await deployment.collectedSoFar();
    expect(deployment.billedFor(event)).toEqual([]);
  });

  it('records a sent attempt that failed with no tokens as a line item at zero', async () => {
    const event = completed({
      model: '',
      status: FAILED,
      attempts: [
        attempt({ model: 'sim-small', provider: 'sim', status: FAILED, errorMessage: 'HTTP 500' }),
      ],
      usage: undefined,
    });
    await deployment.settledThrough(await deployment.publish(event));

    const [entry] = await deployment.entriesOf(event);
    expect(entry.total_nano_usd).toBe(0n);
    expect(entry.line_items).toEqual([
      expect.objectContaining({ model: 'sim-small', cost_nano_usd: 0n, failed: true }),
    ]);
  });

  it('keeps 2^62 nano-USD exact from the price to the store and the announcement', async () => {
    // $2^44 × 5^6 per million output tokens: 2^24 output tokens cost exactly 2^62 nano-USD.
    await deployment.publishCatalog(
      router.ModelCatalog.fromPartial({
        version: 62n,
        models: [
          { name: 'huge', provider: 'sim', price: { outputNanoUsdPerMtok: 2n ** 44n * 5n ** 6n } },
          { name: 'sim-small', provider: 'sim', price: { inputNanoUsdPerMtok: 150_000_000n } },
        ],
      }),
    );
    const event = completed({
      catalogVersion: 62n,
      attempts: [
        attempt({
          model: 'huge',
          provider: 'sim',
          status: FAILED,
          usage: usage({ outputTokens: 2n ** 24n }),
        }),
        attempt({
          model: 'sim-small',
          provider: 'sim',
          status: OK,
          usage: usage({ inputTokens: 1n }),
        }),
      ],
    });
    await deployment.publish(event);

    const [message] = await eventually(
      () => deployment.billedFor(event).length > 0 && deployment.billedFor(event),
      { what: 'InferenceBilled' },
    );
    const total = 2n ** 62n + 150n;
    // A float64 cannot hold it: only exact integers get this far.
    expect(BigInt(Number(total))).not.toBe(total);
    const [entry] = await deployment.entriesOf(event);
    expect(entry.line_items.map((item) => item.cost_nano_usd)).toEqual([2n ** 62n, 150n]);
    expect(entry.total_nano_usd).toBe(total);
    expect(typeof entry.total_nano_usd).toBe('bigint');
    // The server compares the stored int64 exactly.
    expect(await deployment.ledger.countDocuments({ total_nano_usd: total })).toBe(1);
    expect(await deployment.ledger.countDocuments({ total_nano_usd: total - 1n })).toBe(0);
    expect(message.entry?.totalNanoUsd).toBe(total);
  });
});

describe('billing after a crash between its ledger write and its ack', () => {
  const prefix = uniqueName('bill');
  let deployment: Deployment;
  let child: ChildProcess | undefined;
  let app: BillingApp | undefined;

  beforeAll(async () => {
    deployment = await Deployment.open(prefix);
    await deployment.publishCatalog(builtinCatalog(1n));
  });

  afterAll(async () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await app?.stop();
    await deployment.close();
  });

  it('finds the entry on redelivery, bills nothing twice, and announces it', async () => {
    const event = completed();
    const seq = await deployment.publish(event);

    // The service as deployed, told to die right after its first ledger insert.
    child = spawn(process.execPath, ['--import', 'tsx', 'services/billing/src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...envFor(prefix), KEEL_BILLING_FAULT_KILL_AFTER_WRITES: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const running = child;
    let stderr = '';
    running.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      running.once('exit', (_code, exitSignal) => resolve(exitSignal)),
    );
    // On failure, stderr says why the process ended some other way.
    expect({ signal, stderr }).toMatchObject({ signal: 'SIGKILL' });
    const [written] = await deployment.entriesOf(event);
    expect(written).toBeDefined();
    // The stream itself, not what has reached the listener: the process died before announcing.
    expect(await deployment.announcedCount()).toBe(0);

    app = await startBilling(loadConfig(configShape, envFor(prefix)), pino({ level: 'silent' }));
    const info = await deployment.settledThrough(seq);

    // Delivered again after the kill: to the process that died, then to the one that took over
    // (a slow store may let the ack wait pass once more; every delivery finds the one entry).
    expect(info.delivered.consumer_seq).toBeGreaterThanOrEqual(2);
    expect(await deployment.entriesOf(event)).toEqual([written]);
    await deployment.collectedSoFar();
    const announced = deployment.billedFor(event);
    expect(announced).toHaveLength(1);
    const [message] = announced;
    expect(message.entry?.totalNanoUsd).toBe(written.total_nano_usd);
    expect(message.occurredAt).toEqual(written.recorded_at);
  });
});
