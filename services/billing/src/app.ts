// The billing service: prices every completed inference into the ledger, exactly once, from
// the catalog version the inference names. gRPC serves health and reflection.
import { connectBus } from '@keel/bus';
import { KeelServer } from '@keel/kit';
import { CatalogVersions, openSnapshotBuckets } from '@keel/snapshots';
import { connectStore } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import type { BillingConfig } from './config';
import { consumeInferenceCompleted } from './consumers/inference-completed';
import { LEDGER, type LedgerDocument, ledgerIndexes } from './store/ledger';

export interface BillingApp {
  port: number;
  stop(): Promise<void>;
}

export async function startBilling(config: BillingConfig, logger: Logger): Promise<BillingApp> {
  const store = await connectStore({
    url: config.MONGO_URL,
    dbPrefix: config.KEEL_DB_PREFIX,
    service: 'billing',
  });
  const bus = await connectBus({
    servers: config.NATS_URL,
    name: 'billing',
    prefix: config.KEEL_BUS_PREFIX,
    logger,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const server = new KeelServer({
    serviceName: 'billing',
    logger,
    host: config.KEEL_BIND_HOST,
    port: config.KEEL_BILLING_PORT,
  });
  const stopDependencies = async () => {
    await bus.drain();
    await store.close();
  };

  try {
    await store.ensureIndexes(ledgerIndexes);
    await bus.ensureStreams(['inference', 'billing']);
    const { catalog } = await openSnapshotBuckets(bus);
    await consumeInferenceCompleted({
      bus,
      ledger: store.collection<LedgerDocument>(LEDGER),
      catalogs: new CatalogVersions(catalog),
      logger,
      concurrency: config.KEEL_BILLING_CONCURRENCY,
      ackWaitMs: config.KEEL_BILLING_ACK_WAIT_MS,
      maxDeliver: config.KEEL_BILLING_MAX_DELIVER,
      killAfterWrites: config.KEEL_BILLING_FAULT_KILL_AFTER_WRITES,
    });
    const port = await server.start();
    server.setServing(true);
    return {
      port,
      // The gRPC server first, then the consumer (bus.drain lets its handlers finish and ack),
      // then the store.
      stop: async () => {
        await server.shutdown();
        await stopDependencies();
      },
    };
  } catch (error) {
    await stopDependencies();
    throw error;
  }
}
