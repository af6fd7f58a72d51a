// Who owns each inference, learned from InferenceCompleted: one document per (tenant,
// inference), written once, so a redelivered event changes nothing; and per (tenant, episode)
// the episode's latest inference. An episode is owned by the tenant of its inferences: the same
// episode id in two tenants is two episodes.
// Both are read by `_id` (see ids.ts).
import { insertOnce, type Store } from '@keel/store';
import type { Collection } from 'mongodb';
import type { InferenceOwner } from '../domain/feedback';
import { idOf } from './ids';

interface OwnerFields {
  /** `<tenant_id>/<inference_id>` (see idOf). */
  _id: string;
  tenant_id: string;
  inference_id: string;
  /** Empty when the inference belongs to no episode. */
  episode_id: string;
  function_name: string;
  variant_name: string;
  occurred_at: Date;
  created_at: Date;
}

export type InferenceOwnerDocument = OwnerFields;
/** An episode's latest inference; `_id` is `<tenant_id>/<episode_id>`. */
export type EpisodeDocument = OwnerFields;

export const INFERENCE_OWNERS = 'inference_owners';
export const EPISODES = 'episodes';

export interface OwnerCollections {
  owners: Collection<InferenceOwnerDocument>;
  episodes: Collection<EpisodeDocument>;
}

export function ownerCollectionsOf(store: Store): OwnerCollections {
  return {
    owners: store.collection<InferenceOwnerDocument>(INFERENCE_OWNERS),
    episodes: store.collection<EpisodeDocument>(EPISODES),
  };
}

export async function recordOwner(
  collections: OwnerCollections,
  owner: InferenceOwner,
  createdAt: Date,
): Promise<void> {
  const fields = {
    tenant_id: owner.tenantId,
    inference_id: owner.inferenceId,
    episode_id: owner.episodeId,
    function_name: owner.functionName,
    variant_name: owner.variantName,
    occurred_at: owner.occurredAt,
    created_at: createdAt,
  };
  await insertOnce(collections.owners, { _id: idOf(owner.tenantId, owner.inferenceId), ...fields });
  if (owner.episodeId) {
    await recordLatest(collections.episodes, {
      _id: idOf(owner.tenantId, owner.episodeId),
      ...fields,
    });
  }
}

/**
 * Keeps the episode's latest inference: inserts the first, replaces an older one. The replace
 * is conditional, so on MongoDB a late older inference never overwrites a newer one; FerretDB
 * 1.24 may lose one of two updates of a document made at the same moment, and scans the
 * collection for each (hence the read by `_id` first, to skip most of them).
 */
async function recordLatest(
  episodes: Collection<EpisodeDocument>,
  doc: EpisodeDocument,
): Promise<void> {
  // A second pass when the insert loses to another inference of the episode.
  for (let pass = 0; pass < 2; pass++) {
    const current = await episodes.findOne({ _id: doc._id });
    if (current) {
      if (current.occurred_at < doc.occurred_at) {
        await episodes.replaceOne({ _id: doc._id, occurred_at: { $lt: doc.occurred_at } }, doc);
      }
      return;
    }
    if ((await insertOnce(episodes, doc)) === 'inserted') return;
  }
}

/** The tenant's inference; null when the tenant has none with that id (seen so far). */
export async function ownedInference(
  collections: OwnerCollections,
  tenantId: string,
  inferenceId: string,
): Promise<InferenceOwner | null> {
  const doc = await collections.owners.findOne({ _id: idOf(tenantId, inferenceId) });
  return doc ? ownerOf(doc) : null;
}

/** The latest inference of the tenant's episode; null when none has been seen. */
export async function latestOfEpisode(
  collections: OwnerCollections,
  tenantId: string,
  episodeId: string,
): Promise<InferenceOwner | null> {
  const doc = await collections.episodes.findOne({ _id: idOf(tenantId, episodeId) });
  return doc ? ownerOf(doc) : null;
}

function ownerOf(doc: OwnerFields): InferenceOwner {
  return {
    tenantId: doc.tenant_id,
    inferenceId: doc.inference_id,
    episodeId: doc.episode_id,
    functionName: doc.function_name,
    variantName: doc.variant_name,
    occurredAt: doc.occurred_at,
  };
}
