// The drift check of one key (an evaluator of a function's variant): once every window of new
// scores, the latest `windowSize` scores are tested against the `baselineSize` before them
// (domain/drift.ts). A drop stores a DriftAlert and publishes DriftDetected, whose Nats-Msg-Id
// is the alert's id. After an alert, the key's scores before the alerted window are set aside:
// the next test needs a whole baseline and window from that window on, so a drop that persists
// is reported once, and the new level is the baseline a further drop is measured against.
import type { Bus } from '@keel/bus';
import { evaluation, events } from '@keel/contracts';
import type { Store } from '@keel/store';
import type { Logger } from '@keel/telemetry';
import { uuidv7 } from 'uuidv7';
import { DriftCadence, type DriftSettings, testForDrop } from '../domain/drift';
import {
  type DriftAlertDocument,
  type DriftKey,
  alertDocumentOf,
  driftAlertOf,
  latestAlert,
  latestScores,
  markPublished,
  recordAlert,
} from '../store/drift-alerts';

export class DriftCheck {
  private readonly cadence: DriftCadence;
  /** Each key's check in flight: a key's checks run one after another. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: { bus: Bus; store: Store; logger: Logger; settings: DriftSettings },
  ) {
    this.cadence = new DriftCadence(deps.settings.windowSize);
  }

  /**
   * Counts one new score of the key and, when that makes a check due, resolves once it ran.
   * A check that fails rejects, and the key's next score starts it again.
   */
  async scored(key: DriftKey): Promise<void> {
    const name = JSON.stringify([
      key.tenant_id,
      key.function_name,
      key.variant_name,
      key.evaluator,
    ]);
    if (!this.cadence.scored(name)) return;
    const previous = this.running.get(name) ?? Promise.resolve();
    // A failure of the check before is its own caller's to report.
    const next = previous.catch(() => {}).then(() => this.check(key));
    this.running.set(name, next);
    try {
      await next;
    } catch (error) {
      this.cadence.retry(name);
      throw error;
    } finally {
      if (this.running.get(name) === next) this.running.delete(name);
    }
  }

  /** Tests the key's latest window against its baseline; stores and announces a drop. */
  private async check(key: DriftKey): Promise<void> {
    const { store, settings } = this.deps;
    const last = await latestAlert(store, key);
    if (last && !last.published) await this.announce(last);
    const needed = settings.baselineSize + settings.windowSize;
    const scores = await latestScores(store, key, last?.window_start_id ?? '', needed);
    if (scores.length < needed) return;
    const baseline = scores.slice(0, settings.baselineSize);
    const window = scores.slice(settings.baselineSize);
    const result = testForDrop(
      baseline.map(({ score }) => score),
      window.map(({ score }) => score),
      settings,
    );
    if (!result.drop) return;
    const bounds = { startId: window[0].evaluation_id, endId: window.at(-1)!.evaluation_id };
    const alert = await recordAlert(
      store,
      alertDocumentOf(key, result, bounds, uuidv7(), new Date()),
    );
    this.deps.logger.warn(
      {
        ...key,
        alert_id: alert.alert_id,
        baseline_mean: result.baselineMean,
        window_mean: result.windowMean,
        p_value: result.pValue,
      },
      'drift detected',
    );
    if (!alert.published) await this.announce(alert);
  }

  private async announce(alert: DriftAlertDocument): Promise<void> {
    await this.deps.bus.publish(
      events.driftDetected,
      evaluation.DriftDetected.fromPartial({
        alert: driftAlertOf(alert),
        occurredAt: alert.detected_at,
      }),
      { msgId: alert.alert_id },
    );
    await markPublished(this.deps.store, alert);
  }
}
