// One cached answer: what a hit gives back (the answer, the model that served it, its usage, and
// the original inference and its cost), and until when it may be served. Stored as JSON around
// the answer's protobuf bytes, the entry's own expiry inside it: the shared store's keys carry
// none of their own, so a reader checks it.
import { inference } from '@keel/contracts';

export interface CachedAnswer {
  /** The answer as the original inference gave it (its id, model, usage and cost included). */
  answer: inference.CompleteResponse;
  /** Until when it may be served, ms since the epoch. */
  expiresAt: number;
}

interface StoredEntry {
  expiresAt: number;
  /** The CompleteResponse, protobuf in base64. */
  answer: string;
}

/** Why an answer is not stored; null when it may be. */
export type NotStoredReason =
  'not-ok' | 'fallback' | 'cache-hit' | 'personal-data' | 'flagged-output' | null;

/**
 * Only an answer a model gave whole may be served again: status OK (not failed, partial or
 * cancelled), not the function's fallback answer, not itself a cache hit. Nor an answer whose
 * input or output held personal data the guardrails found: the store must not keep it, and the
 * redacted text would not answer the question. Nor one whose output content safety flagged: a
 * hit's event could not report the flag, which only a check of the output finds.
 */
export function notStoredReason(event: inference.InferenceCompleted): NotStoredReason {
  if (event.status !== inference.InferenceStatus.INFERENCE_STATUS_OK) return 'not-ok';
  if (event.fallbackAnswer) return 'fallback';
  if (event.cacheHit) return 'cache-hit';
  const report = event.guardrails;
  if (report) {
    const found = (counts: Record<string, number>) => Object.values(counts).some((n) => n > 0);
    // `redacted` only says redaction is on: with nothing found, the text is the caller's own.
    if (found(report.inputPiiCounts) || found(report.outputPiiCounts)) {
      return 'personal-data';
    }
    if (report.outputFlaggedCategories.length > 0) return 'flagged-output';
  }
  return null;
}

/** The answer an inference's event records, in the shape a caller receives it. */
export function answerOf(event: inference.InferenceCompleted): inference.CompleteResponse {
  return inference.CompleteResponse.fromPartial({
    inferenceId: event.inferenceId,
    text: event.outputText,
    model: event.model,
    usage: event.usage,
    costNanoUsd: event.costNanoUsd,
    functionName: event.functionName,
    variantName: event.variantName,
    finishReason: event.finishReason,
    toolCalls: event.toolCalls,
  });
}

export function encodeEntry(entry: CachedAnswer): Uint8Array {
  const stored: StoredEntry = {
    expiresAt: entry.expiresAt,
    answer: Buffer.from(inference.CompleteResponse.encode(entry.answer).finish()).toString(
      'base64',
    ),
  };
  return Buffer.from(JSON.stringify(stored));
}

/** Throws on bytes that are not an entry: the store adapter counts that as a read error. */
export function decodeEntry(bytes: Uint8Array): CachedAnswer {
  const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<StoredEntry>;
  if (typeof stored.expiresAt !== 'number' || typeof stored.answer !== 'string') {
    throw new Error('not a cache entry: expiresAt or answer is missing');
  }
  return {
    expiresAt: stored.expiresAt,
    answer: inference.CompleteResponse.decode(Buffer.from(stored.answer, 'base64')),
  };
}
