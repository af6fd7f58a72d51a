// Store records as the RetrievalService's messages.
import { retrieval } from '@keel/contracts';
import type { Fused } from '../domain/fusion';
import type { IndexedChunk } from '../domain/indexed-chunk';
import type { CollectionRecord } from '../store/collections';

export function collectionMessage(
  record: CollectionRecord,
  documentCount: number,
  chunkCount: number,
): retrieval.Collection {
  return retrieval.Collection.fromPartial({
    tenantId: record.tenantId,
    collectionName: record.name,
    chunking: {
      maxTokens: record.chunking.maxTokens,
      overlapTokens: record.chunking.overlapTokens,
      splitMarkdownHeadings: record.chunking.splitMarkdownHeadings,
    },
    embeddingModel: record.embeddingModel,
    documentCount: BigInt(documentCount),
    chunkCount: BigInt(chunkCount),
    createdAt: record.createdAt,
  });
}

export function scoredChunkMessage(result: Fused<IndexedChunk>): retrieval.ScoredChunk {
  const chunk = result.key;
  return retrieval.ScoredChunk.fromPartial({
    chunk: {
      chunkId: chunk.chunkId,
      documentId: chunk.documentId,
      ordinal: chunk.ordinal,
      text: chunk.text,
      metadata: chunk.metadata,
      tokenCount: chunk.tokenCount,
      headings: chunk.headings,
    },
    score: result.score,
    lexicalRank: result.lexicalRank,
    vectorRank: result.vectorRank,
    lexicalScore: result.lexicalScore,
    vectorScore: result.vectorScore,
  });
}
