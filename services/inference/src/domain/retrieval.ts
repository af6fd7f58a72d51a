// What the request path needs of the retrieval service: passages for a question, and the
// embedding of a text. Both are asked with the caller's own credentials, so retrieval holds the
// caller to its tenant and scopes as it holds any client.
import type { Passage } from './retrieved-context';

/** The caller's `authorization` metadata, forwarded as it came. */
export type CallerAuthorization = string;

export interface PassageQuery {
  tenantId: string;
  collection: string;
  query: string;
  topK: number;
  filter: Record<string, string>;
}

export interface RetrievalService {
  /** The passages that best match, most relevant first. */
  retrieve(query: PassageQuery, auth: CallerAuthorization, deadline: number): Promise<Passage[]>;
  /** The text's embedding in the default model, and that model's name. */
  embed(
    tenantId: string,
    text: string,
    auth: CallerAuthorization,
    deadline: number,
  ): Promise<{ model: string; vector: Float32Array }>;
}
