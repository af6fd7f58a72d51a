// The router: the control plane. It owns tenants, API keys, functions, providers and the model
// catalog, and publishes the policy and keys snapshots every service routes and authenticates with.
import { connectBus, type Bus } from '@keel/bus';
import { router } from '@keel/contracts';
import { KeelServer } from '@keel/kit';
import { SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import { connectStore, type Store } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import { ensureBootstrapKey } from './bootstrap';
import { consumeExperimentCompleted } from './consumers/experiment-completed';
import type { RouterConfig } from './config';
import type { RouterDeps } from './deps';
import { publishCatalog } from './operations/publish-catalog';
import { routerService } from './server';
import { Catalogs } from './snapshots/catalog';
import { SnapshotPublisher } from './snapshots/publisher';
import { dropRetiredIndexes, routerIndexes, routerStore } from './store/router-store';

export interface RouterApp {
  port: number;
  stop(): Promise<void>;
}

export async function startRouter(config: RouterConfig, logger: Logger): Promise<RouterApp> {
  let store: Store | null = null;
  let bus: Bus | null = null;
  let follower: SnapshotFollower | null = null;
  const release = async () => {
    follower?.stop();
    await bus?.drain();
    await store?.close();
  };

  try {
    store = await connectStore({
      url: config.MONGO_URL,
      dbPrefix: config.KEEL_DB_PREFIX,
      service: 'router',
    });
    await dropRetiredIndexes(store);
    await store.ensureIndexes(routerIndexes);
    bus = await connectBus({
      servers: config.NATS_URL,
      name: 'router',
      prefix: config.KEEL_BUS_PREFIX,
      logger,
    });
    const buckets = await openSnapshotBuckets(bus);

    const records = routerStore(store);
    const catalogs = new Catalogs(buckets.catalog);
    const [catalog, ...scheduled] = await publishCatalog(catalogs, records.models);
    logger.info(
      {
        catalog_version: catalog.version.toString(),
        scheduled_versions: scheduled.map((each) => each.version.toString()),
      },
      'model catalog current',
    );

    follower = await SnapshotFollower.follow(buckets, logger, {
      reloadMs: config.KEEL_SNAPSHOT_RELOAD_MS,
    });
    const publisher = new SnapshotPublisher({
      buckets,
      store: records,
      catalogs,
      follower,
      logger,
    });
    await publisher.publishAll();
    await follower.whenReady();

    const deps: RouterDeps = { store: records, catalogs, publisher, follower };
    if (config.KEEL_BOOTSTRAP_KEY_FILE) {
      await ensureBootstrapKey(deps, config.KEEL_BOOTSTRAP_KEY_FILE, logger);
    }
    // Each variant's latest experiment gate, which PromoteVariant checks.
    await bus.ensureStreams(['evaluation']);
    await consumeExperimentCompleted({ bus, gates: records.variantGates });

    const server = new KeelServer({
      serviceName: 'router',
      logger,
      host: config.KEEL_BIND_HOST,
      port: config.KEEL_ROUTER_PORT,
    });
    server.addService(router.RouterServiceService, routerService(deps, logger));
    const port = await server.start();
    server.setServing(true);
    return {
      port,
      stop: async () => {
        await server.shutdown();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
