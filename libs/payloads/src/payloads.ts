// The text of an inference travels inline in its InferenceCompleted while it fits the inline
// bound; past it, the text is stored whole in the payloads object store and the event carries
// a reference. Producers offload before publishing; every consumer reads through `read`.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { type Bus, PoisonMessageError } from '@keel/bus';
import { bucketsOf, inference, payloadsMaxAgeMs } from '@keel/contracts';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { fitsInline } from './bound';

/**
 * How long a referenced payload may be missing before it is taken for lost. It was stored
 * before its event was published, so a missing one is a replica not caught up yet (retry),
 * unless it stays missing: then it was deleted, and the event can never be read whole.
 */
export const MISSING_PAYLOAD_GRACE_MS = 5 * 60_000;

// zlib's callback forms run on libuv's thread pool, off the event loop every request shares; so
// does the object store's own hashing, in JavaScript, of bytes compression has made few.
const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);
const GZIP = 'gzip';

/** The referenced payload is not there yet: retry later. */
export class PayloadMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadMissingError';
  }
}

export class InferencePayloads {
  private readonly buckets = new Map<string, Promise<ObjectStore>>();

  private constructor(
    private readonly objm: Objm,
    /** The bus's own bucket, where offloaded text is stored. */
    private readonly bucket: string,
    private readonly maxAgeMs: number,
    private readonly now: () => number,
  ) {}

  /** Opens the bus's payloads bucket, creating it (with its max age) when it does not exist. */
  static async open(bus: Bus, now: () => number = Date.now): Promise<InferencePayloads> {
    const payloads = new InferencePayloads(
      new Objm(bus.connection),
      bucketsOf(bus.prefix).payloads,
      payloadsMaxAgeMs(bus.prefix),
      now,
    );
    await payloads.store(payloads.bucket);
    return payloads;
  }

  /**
   * The event as it can travel: unchanged when its text fits inline; otherwise its text is
   * stored under its inference id (replacing any earlier copy, so a retried publish is
   * harmless) and the event carries the reference instead.
   */
  async offload(event: inference.InferenceCompleted): Promise<inference.InferenceCompleted> {
    if (fitsInline(event)) return event;
    const bytes = await gzip(
      inference.InferencePayload.encode({
        inputMessages: event.inputMessages,
        outputText: event.outputText,
        reference: event.reference,
        renderedContext: event.retrieval?.renderedContext ?? '',
      }).finish(),
    );
    await this.put(event.inferenceId, bytes);
    return {
      ...event,
      inputMessages: [],
      outputText: '',
      reference: undefined,
      retrieval: event.retrieval && { ...event.retrieval, renderedContext: '' },
      payload: {
        bucket: this.bucket,
        object: event.inferenceId,
        sizeBytes: BigInt(bytes.length),
        sha256: sha256Hex(bytes),
        contentEncoding: GZIP,
      },
    };
  }

  /**
   * The event's whole text (with the request's reference), inline or stored apart. A stored
   * payload that is missing throws PayloadMissingError (retry) within MISSING_PAYLOAD_GRACE_MS
   * of the event, and PoisonMessageError after it; one that does not match the event's pointer
   * to it throws PoisonMessageError.
   */
  async read(event: inference.InferenceCompleted): Promise<inference.InferencePayload> {
    const pointer = event.payload;
    if (!pointer) {
      const { inputMessages, outputText, reference } = event;
      return {
        inputMessages,
        outputText,
        reference,
        renderedContext: event.retrieval?.renderedContext ?? '',
      };
    }
    const where = `payload ${pointer.bucket}/${pointer.object}`;
    const bytes = await this.fetch(pointer);
    if (!bytes) throw this.missing(event, where);
    const sha256 = sha256Hex(bytes);
    if (BigInt(bytes.length) !== pointer.sizeBytes || sha256 !== pointer.sha256) {
      throw new PoisonMessageError(
        `${where} does not match its reference: ${bytes.length} bytes, sha256 ${sha256}; ` +
          `expected ${pointer.sizeBytes} bytes, sha256 ${pointer.sha256}`,
      );
    }
    const encoded = pointer.contentEncoding === GZIP ? await gunzip(bytes) : bytes;
    return inference.InferencePayload.decode(encoded);
  }

  /** Stores into the bus's bucket, re-creating it once if it was deleted since it was opened. */
  private async put(name: string, bytes: Uint8Array): Promise<void> {
    try {
      await (await this.store(this.bucket)).putBlob({ name }, bytes);
    } catch (error) {
      if (!isBucketNotFound(error)) throw error;
      this.buckets.delete(this.bucket);
      await (await this.store(this.bucket)).putBlob({ name }, bytes);
    }
  }

  /** The stored bytes, or null when the object or its whole bucket does not exist. */
  private async fetch(reference: inference.PayloadReference): Promise<Uint8Array | null> {
    try {
      const store = await this.store(reference.bucket);
      return await store.getBlob(reference.object);
    } catch (error) {
      if (!isBucketNotFound(error)) throw error;
      this.buckets.delete(reference.bucket);
      return null;
    }
  }

  private missing(event: inference.InferenceCompleted, where: string): Error {
    const ageMs = event.occurredAt ? this.now() - event.occurredAt.getTime() : Infinity;
    if (ageMs < MISSING_PAYLOAD_GRACE_MS) return new PayloadMissingError(`${where} is missing`);
    return new PoisonMessageError(
      `${where} is still missing ${Math.round(ageMs / 1000)} s after the event: ` +
        'it was deleted or has expired',
    );
  }

  /** The bucket, opened once (the bus's own is created if needed); a failed open is forgotten. */
  private store(bucket: string): Promise<ObjectStore> {
    let store = this.buckets.get(bucket);
    if (!store) {
      store =
        bucket === this.bucket
          ? this.objm.create(bucket, {
              description: 'Text of inferences too large for their InferenceCompleted events',
              ttl: nanos(this.maxAgeMs),
            })
          : this.objm.open(bucket);
      store.catch(() => this.buckets.delete(bucket));
      this.buckets.set(bucket, store);
    }
    return store;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Opening a bucket that does not exist, or reading from one deleted since it was opened. */
function isBucketNotFound(error: unknown): boolean {
  return (
    (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) ||
    (error instanceof Error && error.message === 'object store not found')
  );
}
