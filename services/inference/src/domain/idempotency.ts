// Idempotency keys: a repeat of a request, by the same tenant with the same key, within the
// window, is answered with the first request's result. What is stored per key: a claim while
// the first request runs, then its answer.
import { createHash } from 'node:crypto';
import { inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

export type IdempotencyRecord =
  /** The first request is running; it holds the claim until `leaseUntil` (ms since the epoch). */
  | { state: 'pending'; requestHash: string; leaseUntil: number }
  /** The first request was answered (its event acknowledged): a repeat gets `response`. */
  | { state: 'done'; requestHash: string; response: inference.CompleteResponse };

interface StoredRecord {
  state: 'pending' | 'done';
  requestHash: string;
  leaseUntil?: number;
  /** The CompleteResponse, protobuf in base64. */
  response?: string;
}

/**
 * The record's key: tenant and key hashed together, so a tenant never meets another's key
 * and any key the caller sends makes a valid KV key.
 */
export function recordKey(tenantId: string, idempotencyKey: string): string {
  return createHash('sha256').update(tenantId).update('\0').update(idempotencyKey).digest('hex');
}

/**
 * What makes two requests the same: every field but the key itself, tags in key order (a map
 * has no order on the wire). Complete and Stream requests share field numbers, so a Stream
 * repeating a Complete is the same request.
 */
export function requestHash(request: inference.CompleteRequest): string {
  const tags = Object.fromEntries(
    Object.entries(request.tags).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const normalized = inference.CompleteRequest.fromPartial({
    ...request,
    tags,
    idempotencyKey: '',
  });
  return createHash('sha256')
    .update(inference.CompleteRequest.encode(normalized).finish())
    .digest('hex');
}

/** Refuses a key reused with a different request: its stored answer is not this request's. */
export function checkSameRequest(record: IdempotencyRecord, hash: string, windowMs: number): void {
  if (record.requestHash === hash) return;
  throw new InvalidArgumentError(
    'idempotency_key',
    `was used for a different request within the idempotency window (${windowMs / 3_600_000} h); ` +
      'use a new key for a new request',
  );
}

export function encodeRecord(record: IdempotencyRecord): Uint8Array {
  const stored: StoredRecord =
    record.state === 'pending'
      ? record
      : {
          state: 'done',
          requestHash: record.requestHash,
          response: Buffer.from(
            inference.CompleteResponse.encode(record.response).finish(),
          ).toString('base64'),
        };
  return Buffer.from(JSON.stringify(stored));
}

export function decodeRecord(bytes: Uint8Array): IdempotencyRecord {
  const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as StoredRecord;
  if (stored.state === 'done') {
    return {
      state: 'done',
      requestHash: stored.requestHash,
      response: inference.CompleteResponse.decode(Buffer.from(stored.response ?? '', 'base64')),
    };
  }
  return { state: 'pending', requestHash: stored.requestHash, leaseUntil: stored.leaseUntil ?? 0 };
}
