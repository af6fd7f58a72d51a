// One provider's wire format: its auth header, error shape, request and response bodies.
import type { IncomingHttpHeaders } from 'node:http';
import type { Reply } from './answer';
import type { Conversation } from './conversation';

/** A stream's Server-Sent Events frames: the deltas are paced, the rest sent as they come. */
export interface StreamFrames {
  head: string[];
  /** One frame per piece of the reply. */
  deltas: string[];
  tail: string[];
}

export interface Dialect {
  /** The path this format is served on. */
  path: string;
  /** Whether the request carries `secret` where this provider expects its API key. */
  authorized(headers: IncomingHttpHeaders, secret: string): boolean;
  /** The provider's error body for an HTTP status; `code` is a machine-readable reason. */
  errorBody(status: number, message: string, code?: string): unknown;
  /** The request as a conversation; throws InvalidRequestError naming what is wrong. */
  parse(body: unknown): Conversation;
  /** The non-streaming response body. */
  responseBody(reply: Reply, conversation: Conversation): unknown;
  /** The streaming response. */
  streamFrames(reply: Reply, conversation: Conversation): StreamFrames;
}
