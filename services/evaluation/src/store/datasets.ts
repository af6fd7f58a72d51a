// Datasets and their examples: one document per (tenant, dataset) and one per (tenant, dataset,
// example id); adding an example whose id is already there replaces it. The indexes of datasets
// and of the experiments run on them.
import { common, evaluation, inference } from '@keel/contracts';
import { type CollectionIndexes, insertOnceOrGet, replaceOrInsert, type Store } from '@keel/store';
import type { Collection } from 'mongodb';
import { EXPERIMENTS } from './experiments';
import { type TagPair, tagPairsOf, tagsOf } from './tags';

export interface DatasetDocument {
  tenant_id: string;
  dataset_name: string;
  description: string;
  created_at: Date;
}

export interface ExampleDocument {
  tenant_id: string;
  dataset_name: string;
  example_id: string;
  /** As `common.ChatMessage.toJSON` writes them. */
  messages: unknown[];
  /** As `inference.Reference.toJSON` writes it; null without one. */
  reference: unknown;
  tags: TagPair[];
  /** `evaluation.ExampleSource` by its JSON name. */
  source: string;
  source_id: string;
  updated_at: Date;
}

export const DATASETS = 'datasets';
export const EXAMPLES = 'dataset_examples';

export class DatasetStore {
  private readonly datasets: Collection<DatasetDocument>;
  private readonly examples: Collection<ExampleDocument>;

  constructor(store: Store) {
    this.datasets = store.collection<DatasetDocument>(DATASETS);
    this.examples = store.collection<ExampleDocument>(EXAMPLES);
  }

  /** Creates the dataset, or returns the one of that name already there. */
  async create(doc: DatasetDocument): Promise<{ created: boolean; dataset: evaluation.Dataset }> {
    const { inserted, stored } = await insertOnceOrGet(this.datasets, doc, {
      tenant_id: doc.tenant_id,
      dataset_name: doc.dataset_name,
    });
    return { created: inserted, dataset: await this.withCount(stored) };
  }

  /** The tenant's dataset with its example count, or null. */
  async get(tenantId: string, datasetName: string): Promise<evaluation.Dataset | null> {
    const doc = await this.datasets.findOne({ tenant_id: tenantId, dataset_name: datasetName });
    return doc ? this.withCount(doc) : null;
  }

  async list(tenantId: string): Promise<evaluation.Dataset[]> {
    const docs = await this.datasets
      .find({ tenant_id: tenantId })
      .sort({ dataset_name: 1 })
      .toArray();
    return Promise.all(docs.map((doc) => this.withCount(doc)));
  }

  /** Adds or replaces each example by its id. */
  async putExamples(
    tenantId: string,
    datasetName: string,
    examples: evaluation.DatasetExample[],
    now: Date,
  ): Promise<void> {
    for (const example of examples) {
      await replaceOrInsert(
        this.examples,
        { tenant_id: tenantId, dataset_name: datasetName, example_id: example.exampleId },
        exampleDocumentOf(tenantId, datasetName, example, now),
      );
    }
  }

  /** A page of examples in example id order, after `afterId` ('' for the first page). */
  async examplesPage(
    tenantId: string,
    datasetName: string,
    afterId: string,
    limit: number,
  ): Promise<evaluation.DatasetExample[]> {
    const docs = await this.examples
      .find({
        tenant_id: tenantId,
        dataset_name: datasetName,
        ...(afterId ? { example_id: { $gt: afterId } } : {}),
      })
      .sort({ example_id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(exampleOf);
  }

  /** Every example of the dataset, in example id order. */
  async allExamples(tenantId: string, datasetName: string): Promise<evaluation.DatasetExample[]> {
    const docs = await this.examples
      .find({ tenant_id: tenantId, dataset_name: datasetName })
      .sort({ example_id: 1 })
      .toArray();
    return docs.map(exampleOf);
  }

  private async withCount(doc: DatasetDocument): Promise<evaluation.Dataset> {
    const count = await this.examples.countDocuments({
      tenant_id: doc.tenant_id,
      dataset_name: doc.dataset_name,
    });
    return {
      tenantId: doc.tenant_id,
      datasetName: doc.dataset_name,
      description: doc.description,
      exampleCount: BigInt(count),
      createdAt: doc.created_at,
    };
  }
}

function exampleDocumentOf(
  tenantId: string,
  datasetName: string,
  example: evaluation.DatasetExample,
  now: Date,
): ExampleDocument {
  return {
    tenant_id: tenantId,
    dataset_name: datasetName,
    example_id: example.exampleId,
    messages: example.messages.map((message) => common.ChatMessage.toJSON(message)),
    reference: example.reference ? inference.Reference.toJSON(example.reference) : null,
    tags: tagPairsOf(example.tags),
    source: evaluation.exampleSourceToJSON(example.source),
    source_id: example.sourceId,
    updated_at: now,
  };
}

function exampleOf(doc: ExampleDocument): evaluation.DatasetExample {
  return {
    exampleId: doc.example_id,
    messages: doc.messages.map((message) => common.ChatMessage.fromJSON(message)),
    reference: doc.reference ? inference.Reference.fromJSON(doc.reference) : undefined,
    tags: tagsOf(doc.tags),
    source: evaluation.exampleSourceFromJSON(doc.source),
    sourceId: doc.source_id,
  };
}

export const datasetIndexes: CollectionIndexes = {
  [DATASETS]: [{ key: { tenant_id: 1, dataset_name: 1 }, unique: true }],
  [EXAMPLES]: [{ key: { tenant_id: 1, dataset_name: 1, example_id: 1 }, unique: true }],
  // ListExperiments, newest first.
  [EXPERIMENTS]: [
    { key: { tenant_id: 1, experiment_id: 1 }, unique: true },
    { key: { tenant_id: 1, started_at: -1 } },
  ],
};
