// The billing service: prices every completed inference into the ledger, exactly once, from
// the catalog version the inference names, and keeps hourly usage rollups. gRPC serves the
// analysts' BillingService, health and reflection.
import { type RunningService, startService } from '@keel/kit';
import { CatalogVersions, SnapshotFollower, openSnapshotBuckets } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import type { BillingConfig } from './config';
import { consumeBudgetAlerts } from './consumers/budget-alerts';
import { consumeInferenceCompleted } from './consumers/inference-completed';
import { bindBillingService } from './rpc/server';
import { BudgetSpend } from './store/budget-spend';
import { LedgerWriter } from './store/ledger-writer';

export type BillingApp = RunningService;

export function startBilling(config: BillingConfig, logger: Logger): Promise<BillingApp> {
  const options = { service: 'billing', port: config.KEEL_BILLING_PORT, env: config, logger };
  return startService(options, async ({ store, bus, server, onStop }) => {
    const writer = await LedgerWriter.open(
      store,
      logger,
      config.KEEL_BILLING_FAULT_KILL_AFTER_WRITES,
    );
    // Its indexes are made before any consumer writes, not while the ledger's writes wait.
    const budgetSpend = await BudgetSpend.open(store);
    await bus.ensureStreams(['inference', 'billing']);
    const buckets = await openSnapshotBuckets(bus);
    // The router's keys snapshot authenticates the analysts' reports.
    const follower = await SnapshotFollower.follow(buckets, logger);
    onStop(() => follower.stop());
    // Budget alerts follow the ledger's spend; the budgets come with the policy snapshot.
    await consumeBudgetAlerts({
      bus,
      spend: budgetSpend,
      follower,
      logger,
      ackWaitMs: config.KEEL_BILLING_ACK_WAIT_MS,
    });
    await consumeInferenceCompleted({
      bus,
      writer,
      catalogs: new CatalogVersions(buckets.catalog),
      logger,
      maxBatch: config.KEEL_BILLING_MAX_BATCH,
      ackWaitMs: config.KEEL_BILLING_ACK_WAIT_MS,
      maxDeliver: config.KEEL_BILLING_MAX_DELIVER,
    });
    bindBillingService(server, {
      writer,
      deadLetters: bus.deadLetters,
      keyRing: follower.keyRing,
      logger,
    });
  });
}
