// Experiments: one document per (tenant, experiment), its progress counted as the run goes and
// its results written once at the end. `published` records that ExperimentCompleted has left,
// so a completion whose event was lost (the bus down at that moment) is announced at startup.
import { evaluation } from '@keel/contracts';
import { insertOnce, type Store } from '@keel/store';
import type { Collection } from 'mongodb';

const { ExperimentStatus } = evaluation;

export interface ExperimentDocument {
  tenant_id: string;
  experiment_id: string;
  dataset_name: string;
  function_name: string;
  variant_names: string[];
  /** As `evaluation.ExperimentGate.toJSON` writes it. */
  gate: unknown;
  /** `evaluation.ExperimentStatus` by its JSON name. */
  status: string;
  completed: number;
  total: number;
  /** As `evaluation.VariantResult.toJSON` writes them; empty until it completes. */
  results: unknown[];
  started_at: Date;
  completed_at: Date | null;
  error_message: string;
  published: boolean;
}

export const EXPERIMENTS = 'experiments';

const statusName = (status: evaluation.ExperimentStatus) =>
  evaluation.experimentStatusToJSON(status);

export function experimentDocumentOf(experiment: evaluation.Experiment): ExperimentDocument {
  return {
    tenant_id: experiment.tenantId,
    experiment_id: experiment.experimentId,
    dataset_name: experiment.datasetName,
    function_name: experiment.functionName,
    variant_names: [...experiment.variantNames],
    gate: evaluation.ExperimentGate.toJSON(
      experiment.gate ?? evaluation.ExperimentGate.fromPartial({}),
    ),
    status: statusName(experiment.status),
    completed: Number(experiment.completed),
    total: Number(experiment.total),
    results: experiment.results.map((result) => evaluation.VariantResult.toJSON(result)),
    started_at: experiment.startedAt ?? new Date(),
    completed_at: experiment.completedAt ?? null,
    error_message: experiment.errorMessage,
    published: false,
  };
}

export function experimentOf(doc: ExperimentDocument): evaluation.Experiment {
  return {
    experimentId: doc.experiment_id,
    tenantId: doc.tenant_id,
    datasetName: doc.dataset_name,
    functionName: doc.function_name,
    variantNames: [...doc.variant_names],
    gate: evaluation.ExperimentGate.fromJSON(doc.gate),
    status: evaluation.experimentStatusFromJSON(doc.status),
    completed: BigInt(doc.completed),
    total: BigInt(doc.total),
    results: doc.results.map((result) => evaluation.VariantResult.fromJSON(result)),
    startedAt: doc.started_at,
    completedAt: doc.completed_at ?? undefined,
    errorMessage: doc.error_message,
  };
}

export class ExperimentStore {
  private readonly collection: Collection<ExperimentDocument>;

  constructor(store: Store) {
    this.collection = store.collection<ExperimentDocument>(EXPERIMENTS);
  }

  async insert(experiment: evaluation.Experiment): Promise<void> {
    await insertOnce(this.collection, experimentDocumentOf(experiment));
  }

  /** Counts `done` more inferences of the run. */
  async progress(tenantId: string, experimentId: string, done: number): Promise<void> {
    await this.collection.updateOne(
      { tenant_id: tenantId, experiment_id: experimentId },
      { $inc: { completed: done } },
    );
  }

  async complete(experiment: evaluation.Experiment): Promise<void> {
    const doc = experimentDocumentOf(experiment);
    await this.collection.updateOne(
      { tenant_id: doc.tenant_id, experiment_id: doc.experiment_id },
      {
        $set: {
          status: doc.status,
          completed: doc.completed,
          results: doc.results,
          completed_at: doc.completed_at,
        },
      },
    );
  }

  /** Marks a run that stopped before its end FAILED, saying why. */
  async fail(tenantId: string, experimentId: string, message: string, at: Date): Promise<void> {
    await this.collection.updateOne(
      { tenant_id: tenantId, experiment_id: experimentId },
      {
        $set: {
          status: statusName(ExperimentStatus.EXPERIMENT_STATUS_FAILED),
          error_message: message,
          completed_at: at,
        },
      },
    );
  }

  async markPublished(tenantId: string, experimentId: string): Promise<void> {
    await this.collection.updateOne(
      { tenant_id: tenantId, experiment_id: experimentId },
      { $set: { published: true } },
    );
  }

  async get(tenantId: string, experimentId: string): Promise<evaluation.Experiment | null> {
    const doc = await this.collection.findOne({ tenant_id: tenantId, experiment_id: experimentId });
    return doc ? experimentOf(doc) : null;
  }

  /** The tenant's experiments, newest first, of one function when it is named. */
  async list(tenantId: string, functionName: string): Promise<evaluation.Experiment[]> {
    const docs = await this.collection
      .find({ tenant_id: tenantId, ...(functionName ? { function_name: functionName } : {}) })
      .sort({ started_at: -1, experiment_id: -1 })
      .limit(1_000)
      .toArray();
    return docs.map(experimentOf);
  }

  /**
   * Every tenant's runs still marked RUNNING, read once at startup: a run lives in the memory of
   * the process that started it, so after a restart none of them is running any more.
   */
  async running(): Promise<evaluation.Experiment[]> {
    const docs = await this.collection
      .find({ status: statusName(ExperimentStatus.EXPERIMENT_STATUS_RUNNING) })
      .toArray();
    return docs.map(experimentOf);
  }

  /** Every tenant's completed runs whose ExperimentCompleted has not left yet (startup). */
  async unpublished(): Promise<evaluation.Experiment[]> {
    const docs = await this.collection
      .find({
        status: statusName(ExperimentStatus.EXPERIMENT_STATUS_COMPLETED),
        published: false,
      })
      .toArray();
    return docs.map(experimentOf);
  }
}
