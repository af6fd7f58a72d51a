// Publishes `keel.billing.budget` when the ledger's spend in a budget's period reaches one of
// its alert percents: once per budget, period and threshold (a stored record, and the
// Nats-Msg-Id de-duplicating a retry). Reads each billed inference from `keel.billing.recorded`,
// in stream order, one at a time, and the budgets from the router's policy snapshot.
import type { Bus, Subscription } from '@keel/bus';
import { billing, durableNameOf, events } from '@keel/contracts';
import { UnavailableError } from '@keel/errors';
import type { SnapshotFollower } from '@keel/snapshots';
import type { Logger } from '@keel/telemetry';
import { alertMsgId, periodsOf, thresholdsReached } from '../domain/budget-periods';
import type { BudgetSpend } from '../store/budget-spend';

export const BUDGET_ALERTS_DURABLE = durableNameOf('billing', events.inferenceBilled);

export interface BudgetAlertsConsumer {
  bus: Bus;
  spend: BudgetSpend;
  follower: SnapshotFollower;
  logger: Logger;
  ackWaitMs: number;
}

export function consumeBudgetAlerts(deps: BudgetAlertsConsumer): Promise<Subscription> {
  return deps.bus.consume(events.inferenceBilled, {
    durable: BUDGET_ALERTS_DURABLE,
    ackWaitMs: deps.ackWaitMs,
    concurrency: 1,
    maxAckPending: 1,
    handler: (billed) => countSpend(deps, billed),
  });
}

async function countSpend(deps: BudgetAlertsConsumer, billed: billing.InferenceBilled) {
  const entry = billed.entry;
  if (!entry || entry.totalNanoUsd === 0n) return;
  const policy = deps.follower.policy;
  if (!policy) throw new UnavailableError('the policy snapshot has not been loaded yet');
  const at = entry.occurredAt ?? billed.occurredAt ?? new Date();
  for (const { budget, key } of periodsOf(policy.budgets(entry.tenantId), entry.functionName, at)) {
    const spent = await deps.spend.add(key, entry.inferenceId, entry.totalNanoUsd);
    for (const percent of thresholdsReached(budget, spent)) {
      if (await deps.spend.alerted(key, percent)) continue;
      const now = new Date();
      await deps.bus.publish(
        events.budgetThresholdReached,
        billing.BudgetThresholdReached.fromPartial({
          budget,
          periodStart: key.periodStart,
          percent,
          spentNanoUsd: spent,
          occurredAt: now,
        }),
        { msgId: alertMsgId(key, percent) },
      );
      await deps.spend.recordAlert(key, percent, spent, now);
      deps.logger.info(
        {
          tenant_id: key.tenantId,
          budget_name: key.budgetName,
          percent,
          spent_nano_usd: spent.toString(),
        },
        'budget threshold reached',
      );
    }
  }
}
