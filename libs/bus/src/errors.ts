/**
 * Thrown by a handler for a message that can never succeed (it contradicts what the handler
 * knows, not what it can reach): the bus terminates the message instead of redelivering it.
 */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

/** A compare-and-set on a KV key lost: the key exists, or changed since the revision read. */
export class KvConflictError extends Error {
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KvConflictError';
  }
}
