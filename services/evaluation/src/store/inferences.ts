// The evaluated inferences: one document per (tenant, inference) with the text analysts read
// beside its evaluations. The text is the event's (redacted where the function redacts); text
// too large for the event is read from its payload by the consumer and passed in.
import { common, inference } from '@keel/contracts';
import { insertOnceOrGet, type Store } from '@keel/store';
import type { Collection } from 'mongodb';
import { type TagPair, tagPairsOf } from './tags';

export interface InferenceDocument {
  tenant_id: string;
  inference_id: string;
  function_name: string;
  variant_name: string;
  model: string;
  /** As `common.ChatMessage.toJSON` writes them. */
  input_messages: unknown[];
  /** The content of the last user message: what failure analysis groups inputs by. */
  last_user_message: string;
  output_text: string;
  tags: TagPair[];
  /** The caller's episode; empty when none. Absent from documents stored before it was kept. */
  episode_id?: string;
  /** True when the guardrails redacted the text. */
  redacted: boolean;
  /**
   * The request's reference, as `inference.Reference.toJSON` writes it (what a dataset example
   * made from this inference is scored against); absent without one.
   */
  reference?: unknown;
  occurred_at: Date;
  created_at: Date;
}

export const INFERENCES = 'inferences';

export function inferencesOf(store: Store): Collection<InferenceDocument> {
  return store.collection<InferenceDocument>(INFERENCES);
}

export function inferenceDocumentOf(
  event: inference.InferenceCompleted,
  text: {
    inputMessages: common.ChatMessage[];
    outputText: string;
    reference?: inference.Reference;
  },
  createdAt: Date,
): InferenceDocument {
  const lastUser = [...text.inputMessages]
    .reverse()
    .find((message) => message.role === common.MessageRole.MESSAGE_ROLE_USER);
  return {
    tenant_id: event.tenantId,
    inference_id: event.inferenceId,
    function_name: event.functionName,
    variant_name: event.variantName,
    model: event.model,
    input_messages: text.inputMessages.map((message) => common.ChatMessage.toJSON(message)),
    last_user_message: lastUser?.content ?? '',
    output_text: text.outputText,
    tags: tagPairsOf(event.tags),
    episode_id: event.episodeId,
    redacted: event.guardrails?.redacted ?? false,
    ...(text.reference ? { reference: inference.Reference.toJSON(text.reference) } : {}),
    occurred_at: event.occurredAt ?? createdAt,
    created_at: createdAt,
  };
}

/** Stores the inference unless an earlier delivery already did; returns it as stored. */
export async function recordInference(
  store: Store,
  doc: InferenceDocument,
): Promise<InferenceDocument> {
  const key = { tenant_id: doc.tenant_id, inference_id: doc.inference_id };
  return (await insertOnceOrGet(inferencesOf(store), doc, key)).stored;
}

export function inputMessagesOf(doc: InferenceDocument): common.ChatMessage[] {
  return doc.input_messages.map((message) => common.ChatMessage.fromJSON(message));
}

export function referenceOf(doc: InferenceDocument): inference.Reference | undefined {
  return doc.reference ? inference.Reference.fromJSON(doc.reference) : undefined;
}
