// Dead letters: a message a durable consumer can never handle is kept, byte for byte, in the
// dead-letter stream with where it came from and why, until an operator replays it. Headers
// carry the rest, so the payload stays the original one and the trace context travels along.
import { deadLetterStreamOf, deadLetterSubjectOf } from '@keel/contracts';
import {
  type JetStreamClient,
  type JetStreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
  PubHeaders,
} from '@nats-io/jetstream';
import { type MsgHdrs, Match, headers } from '@nats-io/nats-core';
import { ensureStream } from './streams';

/** Why a message was dead-lettered. */
export const deadLetterReasonKinds = ['undecodable', 'poison', 'delivery-limit'] as const;
export type DeadLetterReasonKind = (typeof deadLetterReasonKinds)[number];

export interface DeadLetter {
  /** Its sequence in the dead-letter stream: what `replay` takes. */
  seq: number;
  /** The durable consumer that gave up on it. */
  durable: string;
  /** Where the message was: its subject, its stream and sequence, its Nats-Msg-Id. */
  subject: string;
  stream: string;
  streamSeq: number;
  msgId: string | undefined;
  /** Deliveries of the message when it was given up on. */
  deliveryCount: number;
  reasonKind: DeadLetterReasonKind;
  reason: string;
  deadLetteredAt: Date;
  /** The original payload, byte for byte. */
  payload: Uint8Array;
}

export interface Replayed {
  /** The dead letter's sequence; it is removed once its message is back on its subject. */
  seq: number;
  subject: string;
  /** The replayed message's sequence and Nats-Msg-Id in its stream. */
  streamSeq: number;
  msgId: string;
}

const HEADER = {
  durable: 'Keel-Dead-Letter-Durable',
  subject: 'Keel-Dead-Letter-Subject',
  stream: 'Keel-Dead-Letter-Stream',
  streamSeq: 'Keel-Dead-Letter-Stream-Seq',
  msgId: 'Keel-Dead-Letter-Msg-Id',
  deliveryCount: 'Keel-Dead-Letter-Deliveries',
  reasonKind: 'Keel-Dead-Letter-Reason-Kind',
  reason: 'Keel-Dead-Letter-Reason',
  deadLetteredAt: 'Keel-Dead-Letter-Time',
} as const;

/** The W3C trace context headers: a dead letter and its replay stay in the producer's trace. */
const TRACE_HEADERS = ['traceparent', 'tracestate'];

/** A header value is one line; a reason longer than this is cut. */
const MAX_REASON_CHARS = 2_000;

/** Creates the dead-letter stream, or brings its settings up to date. */
export function ensureDeadLetterStream(jsm: JetStreamManager, prefix: string): Promise<void> {
  return ensureStream(jsm, deadLetterStreamOf(prefix));
}

/**
 * Stores `msg` as a dead letter of `durable` and resolves once JetStream has it. Its
 * Nats-Msg-Id names the durable and the message, so dead-lettering it again is a duplicate.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  prefix: string,
  msg: JsMsg,
  letter: { durable: string; reasonKind: DeadLetterReasonKind; reason: string },
): Promise<number> {
  const letterHeaders = headers();
  copyTraceHeaders(msg.headers, letterHeaders);
  const msgId = msg.headers?.get(PubHeaders.MsgIdHdr);
  letterHeaders.set(HEADER.durable, letter.durable);
  letterHeaders.set(HEADER.subject, msg.subject);
  letterHeaders.set(HEADER.stream, msg.info.stream);
  letterHeaders.set(HEADER.streamSeq, String(msg.seq));
  if (msgId) letterHeaders.set(HEADER.msgId, msgId);
  letterHeaders.set(HEADER.deliveryCount, String(msg.info.deliveryCount));
  letterHeaders.set(HEADER.reasonKind, letter.reasonKind);
  letterHeaders.set(HEADER.reason, oneLine(letter.reason));
  letterHeaders.set(HEADER.deadLetteredAt, new Date().toISOString());
  const ack = await js.publish(deadLetterSubjectOf(letter.durable, prefix), msg.data, {
    headers: letterHeaders,
    msgID: `${letter.durable}:${msg.info.stream}:${msg.seq}`,
    expect: { streamName: deadLetterStreamOf(prefix).name },
  });
  return ack.seq;
}

/** Lists and replays the dead letters of every durable consumer under one bus prefix. */
export class DeadLetters {
  private readonly stream: string;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly prefix: string,
  ) {
    this.stream = deadLetterStreamOf(prefix).name;
  }

  /** The dead letters, oldest first, of one durable or of all. */
  async list(filter: { durable?: string } = {}): Promise<DeadLetter[]> {
    const subject = filter.durable
      ? deadLetterSubjectOf(filter.durable, this.prefix)
      : deadLetterStreamOf(this.prefix).subjects[0];
    const count = await this.countOn(subject);
    if (count === 0) return [];
    const reader = await this.js.consumers.get(this.stream, { filter_subjects: subject });
    const letters: DeadLetter[] = [];
    // Bounded by `expires`, in case some were removed since they were counted.
    for await (const msg of await reader.fetch({ max_messages: count, expires: 5_000 })) {
      letters.push(deadLetterOf(msg.seq, msg.headers, msg.data));
      if (msg.info.pending === 0) break;
    }
    return letters;
  }

  /**
   * Publishes the dead letter's payload to its original subject again, with its trace
   * context and a Nats-Msg-Id derived from the original one (the original would be dropped
   * as a duplicate), then removes the dead letter. Null when there is no dead letter `seq`.
   * Replaying one whose removal failed is dropped as a duplicate within the duplicate window.
   */
  async replay(seq: number): Promise<Replayed | null> {
    const stored = await this.storedAt(seq);
    if (!stored) return null;
    const letter = deadLetterOf(stored.seq, stored.header, stored.data);
    const replayHeaders = headers();
    copyTraceHeaders(stored.header, replayHeaders);
    const msgId = `${letter.msgId ?? `${letter.stream}:${letter.streamSeq}`}:replay:${seq}`;
    const ack = await this.js.publish(letter.subject, letter.payload, {
      headers: replayHeaders,
      msgID: msgId,
    });
    await this.jsm.streams.deleteMessage(this.stream, seq, false);
    return { seq, subject: letter.subject, streamSeq: ack.seq, msgId };
  }

  /** Replays every dead letter of one durable, or of all, oldest first. */
  async replayAll(filter: { durable?: string } = {}): Promise<Replayed[]> {
    const replayed: Replayed[] = [];
    for (const letter of await this.list(filter)) {
      const done = await this.replay(letter.seq);
      if (done) replayed.push(done);
    }
    return replayed;
  }

  private async countOn(subject: string): Promise<number> {
    try {
      const info = await this.jsm.streams.info(this.stream, { subjects_filter: subject });
      return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
    } catch (error) {
      if (isStreamNotFound(error)) return 0;
      throw error;
    }
  }

  private async storedAt(seq: number) {
    try {
      return await this.jsm.streams.getMessage(this.stream, { seq });
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw error;
    }
  }
}

function deadLetterOf(seq: number, letterHeaders: MsgHdrs | undefined, data: Uint8Array) {
  const required = (name: string): string => {
    const value = letterHeaders?.get(name, Match.IgnoreCase);
    if (!value) throw new Error(`dead letter ${seq} has no ${name} header`);
    return value;
  };
  const reasonKind = required(HEADER.reasonKind);
  if (!isReasonKind(reasonKind)) {
    throw new Error(`dead letter ${seq} has an unknown reason kind '${reasonKind}'`);
  }
  return {
    seq,
    durable: required(HEADER.durable),
    subject: required(HEADER.subject),
    stream: required(HEADER.stream),
    streamSeq: Number(required(HEADER.streamSeq)),
    msgId: letterHeaders?.get(HEADER.msgId, Match.IgnoreCase) || undefined,
    deliveryCount: Number(required(HEADER.deliveryCount)),
    reasonKind,
    reason: required(HEADER.reason),
    deadLetteredAt: new Date(required(HEADER.deadLetteredAt)),
    payload: data,
  } satisfies DeadLetter;
}

function isReasonKind(value: string): value is DeadLetterReasonKind {
  return (deadLetterReasonKinds as readonly string[]).includes(value);
}

function copyTraceHeaders(from: MsgHdrs | undefined, to: MsgHdrs): void {
  for (const name of TRACE_HEADERS) {
    if (from?.has(name, Match.IgnoreCase)) to.set(name, from.get(name, Match.IgnoreCase));
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim() || '(no reason given)';
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS)}…` : line;
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}
