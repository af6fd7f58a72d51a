// Idempotency claims in a NATS KV bucket whose TTL is the idempotency window, shared by every
// replica: `create` lets one request claim a key; a twin that finds the claim waits (a KV
// watch) for its answer; a request that fails releases its claim so a retry can run.
import { KvConflictError, type KvBucket, type KvEntry } from '@keel/bus';
import type { inference } from '@keel/contracts';
import {
  type IdempotencyRecord,
  checkSameRequest,
  decodeRecord,
  encodeRecord,
  recordKey,
} from '../domain/idempotency';

/** The first request of its key: it runs, then stores its answer or releases the key. */
export interface OwnedClaim {
  kind: 'owner';
  /** Stores the answer for repeats; call it only once the inference's event is acknowledged. */
  answered(response: inference.CompleteResponse): Promise<void>;
  /** Frees the key for a retry: the request failed. */
  release(): Promise<void>;
}

export type Claim = OwnedClaim | { kind: 'replay'; response: inference.CompleteResponse };

export interface ClaimCall {
  signal: AbortSignal;
  /** The caller's deadline, ms since the epoch; Infinity when it set none. */
  deadline: number;
}

/** The claim of a request with no idempotency key: nothing to store or release. */
const UNCLAIMED: OwnedClaim = {
  kind: 'owner',
  answered: async () => undefined,
  release: async () => undefined,
};

export class IdempotencyClaims {
  constructor(
    private readonly bucket: KvBucket,
    /** The bucket's TTL: how long a key's answer is replayed. */
    private readonly windowMs: number,
    /** How long a claim of a caller with no deadline holds before a twin may take it over. */
    private readonly leaseMs: number,
  ) {}

  /**
   * Claims `idempotencyKey` (none when empty) for the tenant, or returns the answer of the request that did.
   * Waits, up to the caller's deadline, while another request holds the claim; takes the claim
   * over once its lease has run out (its holder died).
   */
  async claim(
    tenantId: string,
    idempotencyKey: string,
    hash: string,
    call: ClaimCall,
  ): Promise<Claim> {
    if (idempotencyKey === '') return UNCLAIMED;
    const key = recordKey(tenantId, idempotencyKey);
    const pending = () =>
      encodeRecord({
        state: 'pending',
        requestHash: hash,
        leaseUntil: Math.min(call.deadline, Date.now() + this.leaseMs),
      });
    for (;;) {
      call.signal.throwIfAborted();
      try {
        return this.owned(key, hash, await this.bucket.create(key, pending()));
      } catch (error) {
        if (!(error instanceof KvConflictError)) throw error;
      }
      const entry = await this.bucket.get(key);
      if (!entry) continue; // released in between: claim again
      const record = decodeRecord(entry.value);
      checkSameRequest(record, hash, this.windowMs);
      if (record.state === 'done') return { kind: 'replay', response: record.response };
      if (record.leaseUntil <= Date.now()) {
        try {
          return this.owned(key, hash, await this.bucket.update(key, pending(), entry.revision));
        } catch (error) {
          if (!(error instanceof KvConflictError)) throw error;
          continue;
        }
      }
      await this.changed(key, entry.revision, record, call.signal);
    }
  }

  private owned(key: string, hash: string, revision: bigint): OwnedClaim {
    return {
      kind: 'owner',
      answered: async (response) => {
        await this.bucket.put(key, encodeRecord({ state: 'done', requestHash: hash, response }));
      },
      release: async () => {
        // Only the claim this request holds: a twin may have taken an expired one over.
        const current = await this.bucket.get(key);
        if (current?.revision === revision) await this.bucket.delete(key);
      },
    };
  }

  /** Resolves when the key moves past `revision`, its lease runs out, or the caller leaves. */
  private async changed(
    key: string,
    revision: bigint,
    record: IdempotencyRecord & { state: 'pending' },
    signal: AbortSignal,
  ): Promise<void> {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const onEntry = (entry: KvEntry | null) => {
      if (!entry || entry.revision > revision) done();
    };
    const watch = await this.bucket.watch(key, onEntry);
    const timer = setTimeout(done, Math.max(0, record.leaseUntil - Date.now()));
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
    // A deletion before the watch started is not delivered by it: read the key once more.
    const now = await this.bucket.get(key);
    if (!now || now.revision > revision) done();
    await finished;
    clearTimeout(timer);
    signal.removeEventListener('abort', done);
    watch.stop();
  }
}
