// The inference service: the front door. It authenticates and routes each request from the
// router's snapshots followed locally, calls the models, and publishes what happened.
import { connectBus, type Bus } from '@keel/bus';
import { builtinCatalog, countTokens } from '@keel/catalog';
import { bucketsOf, events } from '@keel/contracts';
import { KeelServer } from '@keel/kit';
import { SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import { uuidv7 } from 'uuidv7';
import type { InferenceConfig } from './config';
import { warmGuardrails } from './guardrails/warm';
import { ProviderRegistry } from './providers/registry';
import { ResilientProviders, resilienceOptionsOf } from './providers/resilience';
import { CompletedPublisher } from './publish/completed-publisher';
import { openPayloadStore } from './publish/payload-store';
import { bindInference } from './server';
import { ExactCache } from './cache/exact-cache';
import { SemanticCache } from './cache/semantic-cache';
import { RetrievalClient } from './retrieval/client';
import { SemanticCacheEntries } from './store/semantic-cache-entries';
import { CacheEntries } from './store/cache-entries';
import { IdempotencyClaims } from './store/idempotency-claims';
import { Budgeter } from './budget/budgeter';
import { RateLimiter } from './rate-limit/limiter';
import { BudgetHolds } from './store/budget-holds';
import { RateLimitCounters } from './store/rate-limit-counters';

export interface InferenceApp {
  port: number;
  stop(): Promise<void>;
}

// With the gRPC server's own 10 s grace, stopping stays within Kubernetes' default 30 s.
const PUBLISH_FLUSH_MS = 10_000;

export async function startInference(
  config: InferenceConfig,
  logger: Logger,
): Promise<InferenceApp> {
  warmTokenizers();
  warmGuardrails();
  const bus = await connectBus({
    servers: config.NATS_URL,
    name: 'inference',
    prefix: config.KEEL_BUS_PREFIX,
    logger,
  });
  try {
    return await startOn(bus, config, logger);
  } catch (error) {
    await bus.drain();
    throw error;
  }
}

async function startOn(bus: Bus, config: InferenceConfig, logger: Logger): Promise<InferenceApp> {
  await bus.ensureStreams(['inference']);
  const follower = await SnapshotFollower.follow(await openSnapshotBuckets(bus), logger, {
    reloadMs: config.KEEL_SNAPSHOT_RELOAD_MS,
  });
  const storePayload = await openPayloadStore(bus);
  const publisher = new CompletedPublisher({
    // Text past the inline bound is stored before the event that references it is published.
    publish: async (event) =>
      bus.publish(events.inferenceCompleted, await storePayload(event), {
        msgId: event.inferenceId,
      }),
    logger,
    maxBacklog: config.KEEL_PUBLISH_BACKLOG_MAX,
  });
  // The operator's providers come with the policy snapshot: the registry follows each one
  // before requests are routed by it.
  const registry = new ProviderRegistry({
    simLatencyMs: config.KEEL_SIM_LATENCY_MS,
    simTokensPerSecond: config.KEEL_SIM_TOKENS_PER_SECOND,
  });
  follower.onPolicySnapshot((snapshot) => registry.update(snapshot.providers));
  const providers = new ResilientProviders(
    (providerName) => registry.get(providerName),
    resilienceOptionsOf(config),
    logger,
  );

  const claims = new IdempotencyClaims(
    await bus.kv(bucketsOf(bus.prefix).idempotency, {
      history: 1,
      ttlMs: config.KEEL_IDEMPOTENCY_WINDOW_MS,
    }),
    config.KEEL_IDEMPOTENCY_WINDOW_MS,
    config.KEEL_IDEMPOTENCY_LEASE_MS,
  );

  const cache = new ExactCache({
    store: await CacheEntries.open(bus),
    maxEntries: config.KEEL_CACHE_LOCAL_MAX_ENTRIES,
    maxBytes: config.KEEL_CACHE_LOCAL_MAX_BYTES,
    maxEntryBytes: config.KEEL_CACHE_ENTRY_MAX_BYTES,
    logger,
  });

  const semanticCache = new SemanticCache({
    store: await SemanticCacheEntries.open(bus),
    maxEntries: config.KEEL_SEMANTIC_CACHE_MAX_ENTRIES,
    logger,
  });
  await semanticCache.start();
  const retrieval = new RetrievalClient(
    config.KEEL_RETRIEVAL_ADDRESS,
    config.KEEL_RETRIEVAL_TIMEOUT_MS,
  );

  const rateLimiter = new RateLimiter(await RateLimitCounters.open(bus), {
    whenUnavailable: config.KEEL_RATE_LIMIT_WHEN_UNAVAILABLE,
    leaseTimeoutMs: config.KEEL_RATE_LIMIT_LEASE_TIMEOUT_MS,
    logger,
  });

  const budgetHolds = await BudgetHolds.open(bus, {
    replicaId: uuidv7(),
    onRenewError: (error) => logger.warn({ err: error }, 'budget holds (NATS KV) not renewed'),
  });
  const budgeter = new Budgeter(budgetHolds, {
    whenUnavailable: config.KEEL_BUDGET_WHEN_UNAVAILABLE,
    leaseTimeoutMs: config.KEEL_BUDGET_LEASE_TIMEOUT_MS,
    logger,
  });

  const server = new KeelServer({
    serviceName: 'inference',
    logger,
    host: config.KEEL_BIND_HOST,
    port: config.KEEL_INFERENCE_PORT,
  });
  bindInference(server, {
    follower,
    providers,
    publisher,
    claims,
    cache,
    semanticCache,
    retrieval,
    limits: { maxMessages: config.KEEL_MAX_MESSAGES, maxInputChars: config.KEEL_MAX_INPUT_CHARS },
    rateLimiter,
    budgeter,
    logger,
  });
  const port = await server.start();

  let stopping = false;
  // Until both snapshots arrive, health says NOT_SERVING and Complete answers UNAVAILABLE.
  void follower.whenReady().then(() => {
    if (stopping) return;
    server.setServing(true);
    logger.info({}, 'policy and keys snapshots loaded: serving');
  });

  return {
    port,
    stop: async () => {
      stopping = true;
      await server.shutdown();
      await publisher.stop(PUBLISH_FLUSH_MS);
      // What this replica spent reaches the shared state, and what it held returns to it.
      await budgetHolds.releaseAll();
      follower.stop();
      semanticCache.stop();
      retrieval.close();
      await bus.drain();
    },
  };
}

/** Loads each tokenizer the builtin catalog uses now, not on the first request. */
function warmTokenizers(): void {
  const warmed = new Set<string>();
  for (const model of builtinCatalog(0n).models) {
    if (warmed.has(model.tokenizer)) continue;
    warmed.add(model.tokenizer);
    void countTokens(model, 'warm');
  }
}
