// Drift alerts: one document per significant drop, written once and unique on its key and the
// last evaluation of its window, so a check repeated by a redelivery or another replica stores
// nothing twice. `published` turns true once its DriftDetected is on the bus; the next check of
// the key publishes an alert that is still false (a publish that failed after the insert).
import { evaluation } from '@keel/contracts';
import { type CollectionIndexes, insertOnceOrGet, type Store } from '@keel/store';
import type { Collection } from 'mongodb';
import { DRIFT_TEST, type DropTest } from '../domain/drift';
import { evaluationsOf } from './evaluations';

/** Whose scores one drift check reads: one evaluator of one function's variant. */
export interface DriftKey {
  tenant_id: string;
  function_name: string;
  variant_name: string;
  evaluator: string;
}

export interface DriftAlertDocument extends DriftKey {
  alert_id: string;
  baseline_mean: number;
  baseline_count: number;
  window_mean: number;
  window_count: number;
  test: string;
  statistic: number;
  p_value: number;
  /** The window's first and last evaluations (UUIDv7, so in the order they were stored). */
  window_start_id: string;
  window_end_id: string;
  detected_at: Date;
  published: boolean;
}

export const DRIFT_ALERTS = 'drift_alerts';

export const driftAlertIndexes: CollectionIndexes = {
  [DRIFT_ALERTS]: [
    {
      key: { tenant_id: 1, function_name: 1, variant_name: 1, evaluator: 1, window_end_id: -1 },
      unique: true,
    },
    // ListDriftAlerts, newest first.
    { key: { tenant_id: 1, detected_at: -1, alert_id: -1 } },
  ],
};

function alertsOf(store: Store): Collection<DriftAlertDocument> {
  return store.collection<DriftAlertDocument>(DRIFT_ALERTS);
}

export function driftKeyOf(key: DriftKey): DriftKey {
  return {
    tenant_id: key.tenant_id,
    function_name: key.function_name,
    variant_name: key.variant_name,
    evaluator: key.evaluator,
  };
}

/** The key's alert with the latest window, or null before its first. */
export function latestAlert(store: Store, key: DriftKey): Promise<DriftAlertDocument | null> {
  return alertsOf(store).findOne(driftKeyOf(key), { sort: { window_end_id: -1 } });
}

/**
 * The key's latest scores, oldest first, at most `limit`, from the evaluation `fromId` on
 * (all of them when it is empty).
 */
export async function latestScores(
  store: Store,
  key: DriftKey,
  fromId: string,
  limit: number,
): Promise<Array<{ evaluation_id: string; score: number }>> {
  const docs = await evaluationsOf(store)
    .find(
      { ...driftKeyOf(key), ...(fromId ? { evaluation_id: { $gte: fromId } } : {}) },
      { projection: { _id: 0, evaluation_id: 1, score: 1 }, sort: { evaluation_id: -1 }, limit },
    )
    .toArray();
  return docs
    .reverse()
    .map((doc) => ({ evaluation_id: doc.evaluation_id, score: Number(doc.score) }));
}

/** Stores the alert unless a check of the same window did; returns the one stored. */
export async function recordAlert(
  store: Store,
  doc: DriftAlertDocument,
): Promise<DriftAlertDocument> {
  const { stored } = await insertOnceOrGet(alertsOf(store), doc, {
    ...driftKeyOf(doc),
    window_end_id: doc.window_end_id,
  });
  return stored;
}

/** Notes that the alert's DriftDetected is on the bus (a repeat sets the same value). */
export async function markPublished(store: Store, alert: DriftAlertDocument): Promise<void> {
  await alertsOf(store).updateOne(
    { ...driftKeyOf(alert), window_end_id: alert.window_end_id },
    { $set: { published: true } },
  );
}

export function alertDocumentOf(
  key: DriftKey,
  result: DropTest,
  window: { startId: string; endId: string },
  alertId: string,
  detectedAt: Date,
): DriftAlertDocument {
  return {
    ...driftKeyOf(key),
    alert_id: alertId,
    baseline_mean: result.baselineMean,
    baseline_count: result.baselineCount,
    window_mean: result.windowMean,
    window_count: result.windowCount,
    test: DRIFT_TEST,
    statistic: result.statistic,
    p_value: result.pValue,
    window_start_id: window.startId,
    window_end_id: window.endId,
    detected_at: detectedAt,
    published: false,
  };
}

/** A tenant's alerts, newest first, narrowed to a function and a variant when named. */
export async function listAlerts(
  store: Store,
  filter: { tenantId: string; functionName: string; variantName: string },
  limit: number,
): Promise<DriftAlertDocument[]> {
  return alertsOf(store)
    .find(
      {
        tenant_id: filter.tenantId,
        ...(filter.functionName ? { function_name: filter.functionName } : {}),
        ...(filter.variantName ? { variant_name: filter.variantName } : {}),
      },
      { sort: { detected_at: -1, alert_id: -1 }, limit },
    )
    .toArray();
}

export function driftAlertOf(doc: DriftAlertDocument): evaluation.DriftAlert {
  return evaluation.DriftAlert.fromPartial({
    alertId: doc.alert_id,
    tenantId: doc.tenant_id,
    functionName: doc.function_name,
    variantName: doc.variant_name,
    evaluator: doc.evaluator,
    baselineMean: Number(doc.baseline_mean),
    baselineCount: BigInt(doc.baseline_count),
    windowMean: Number(doc.window_mean),
    windowCount: BigInt(doc.window_count),
    test: doc.test,
    statistic: Number(doc.statistic),
    pValue: Number(doc.p_value),
    detectedAt: doc.detected_at,
  });
}
