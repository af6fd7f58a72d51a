import type { router } from '@keel/contracts';
import { insertOnce, replaceOrInsert } from '@keel/store';
import type { Collection } from 'mongodb';
import {
  type EvaluatorConfigDoc,
  type ServiceLevelDoc,
  evaluatorsDoc,
  evaluatorsOf,
  serviceLevelDoc,
  serviceLevelOf,
} from './evaluation-settings';
import {
  cachePolicyDoc,
  cachePolicyOf,
  guardrailsDoc,
  guardrailsOf,
  rateLimitDoc,
  rateLimitOf,
  type CachePolicyDoc,
  type GuardrailsDoc,
  type RateLimitDoc,
} from './function-settings';
import {
  type RetrievalDoc,
  type SemanticCacheDoc,
  retrievalDoc,
  retrievalOf,
  semanticCacheDoc,
  semanticCacheOf,
} from './retrieval-settings';

export interface VariantDoc {
  variant_name: string;
  model_chain: string[];
  default_max_tokens: number;
}

export interface FunctionDoc {
  tenant_id: string;
  function_name: string;
  variants: VariantDoc[];
  /** `{ fixed: { variant_name } }`; the only policy so far. */
  policy: { fixed?: { variant_name: string } };
  updated_at: Date;
  /** Null (or absent, in documents written before these existed) when unset. */
  guardrails: GuardrailsDoc | null;
  rate_limit: RateLimitDoc | null;
  cache: CachePolicyDoc | null;
  /** Absent in documents written before evaluators existed: none. */
  evaluators?: EvaluatorConfigDoc[];
  service_level: ServiceLevelDoc | null;
  /** Absent in documents written before retrieval existed: none. */
  retrieval?: RetrievalDoc | null;
  semantic_cache?: SemanticCacheDoc | null;
}

export function functionDoc(fn: router.KeelFunction): FunctionDoc {
  const fixed = fn.policy?.fixed;
  return {
    tenant_id: fn.tenantId,
    function_name: fn.functionName,
    variants: fn.variants.map((variant) => ({
      variant_name: variant.variantName,
      model_chain: [...variant.modelChain],
      default_max_tokens: variant.defaultMaxTokens,
    })),
    policy: fixed ? { fixed: { variant_name: fixed.variantName } } : {},
    updated_at: fn.updatedAt ?? new Date(),
    guardrails: guardrailsDoc(fn.guardrails),
    rate_limit: rateLimitDoc(fn.rateLimit),
    cache: cachePolicyDoc(fn.cache),
    evaluators: evaluatorsDoc(fn.evaluators),
    service_level: serviceLevelDoc(fn.serviceLevel),
    retrieval: retrievalDoc(fn.retrieval),
    semantic_cache: semanticCacheDoc(fn.semanticCache),
  };
}

export function functionOf(doc: FunctionDoc): router.KeelFunction {
  return {
    tenantId: doc.tenant_id,
    functionName: doc.function_name,
    variants: doc.variants.map((variant) => ({
      variantName: variant.variant_name,
      modelChain: [...variant.model_chain],
      defaultMaxTokens: variant.default_max_tokens,
    })),
    policy: doc.policy.fixed ? { fixed: { variantName: doc.policy.fixed.variant_name } } : {},
    updatedAt: doc.updated_at,
    guardrails: guardrailsOf(doc.guardrails),
    rateLimit: rateLimitOf(doc.rate_limit),
    cache: cachePolicyOf(doc.cache),
    evaluators: evaluatorsOf(doc.evaluators),
    retrieval: retrievalOf(doc.retrieval),
    semanticCache: semanticCacheOf(doc.semantic_cache),
    serviceLevel: serviceLevelOf(doc.service_level),
  };
}

export class FunctionStore {
  constructor(private readonly collection: Collection<FunctionDoc>) {}

  /** Stores the function unless one of that name exists: a retried creation changes nothing. */
  async insertOnce(doc: FunctionDoc): Promise<void> {
    await insertOnce(this.collection, doc);
  }

  /** Creates or replaces the tenant's function of that name. */
  async put(doc: FunctionDoc): Promise<void> {
    await replaceOrInsert(
      this.collection,
      { tenant_id: doc.tenant_id, function_name: doc.function_name },
      doc,
    );
  }

  async all(): Promise<router.KeelFunction[]> {
    const docs = await this.collection.find({}).toArray();
    return docs.map(functionOf);
  }

  async get(tenantId: string, functionName: string): Promise<router.KeelFunction | null> {
    const doc = await this.collection.findOne({ tenant_id: tenantId, function_name: functionName });
    return doc ? functionOf(doc) : null;
  }

  /** Makes the function's policy always run `variantName`; the function as stored, or null. */
  async fixVariant(
    tenantId: string,
    functionName: string,
    variantName: string,
    at: Date,
  ): Promise<router.KeelFunction | null> {
    const doc = await this.collection.findOneAndUpdate(
      { tenant_id: tenantId, function_name: functionName },
      { $set: { policy: { fixed: { variant_name: variantName } }, updated_at: at } },
      { returnDocument: 'after' },
    );
    return doc ? functionOf(doc) : null;
  }
}
