import { common, inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import {
  checkSameRequest,
  decodeRecord,
  encodeRecord,
  recordKey,
  requestHash,
} from './idempotency';

const ask = (content: string) =>
  common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });
const base = { messages: [ask('hi')], idempotencyKey: 'k1', tags: { a: '1', b: '2' } };

describe('requestHash', () => {
  it('is the same whatever the key and the order of the tags', () => {
    const first = requestHash(inference.CompleteRequest.fromPartial(base));
    const reordered = inference.CompleteRequest.fromPartial({
      ...base,
      idempotencyKey: 'other',
      tags: { b: '2', a: '1' },
    });
    expect(requestHash(reordered)).toBe(first);
  });

  it('differs when any other field differs', () => {
    const first = requestHash(inference.CompleteRequest.fromPartial(base));
    expect(
      requestHash(inference.CompleteRequest.fromPartial({ ...base, temperature: 0 })),
    ).not.toBe(first);
    expect(
      requestHash(inference.CompleteRequest.fromPartial({ ...base, messages: [ask('ho')] })),
    ).not.toBe(first);
  });
});

describe('recordKey', () => {
  it('separates tenants that use the same key', () => {
    expect(recordKey('tenant-a', 'k')).not.toBe(recordKey('tenant-b', 'k'));
    expect(recordKey('tenant-a', 'k')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('records', () => {
  it('round-trip a claim and an answer', () => {
    const pending = { state: 'pending' as const, requestHash: 'h', leaseUntil: 123 };
    expect(decodeRecord(encodeRecord(pending))).toEqual(pending);
    const response = inference.CompleteResponse.fromPartial({
      inferenceId: 'i',
      text: 'hello',
      costNanoUsd: 5n,
    });
    const done = { state: 'done' as const, requestHash: 'h', response };
    expect(decodeRecord(encodeRecord(done))).toEqual(done);
  });

  it('refuse a key reused for a different request with INVALID_ARGUMENT on idempotency_key', () => {
    const record = { state: 'pending' as const, requestHash: 'h', leaseUntil: 0 };
    expect(() => checkSameRequest(record, 'h', 86_400_000)).not.toThrow();
    const refuse = () => checkSameRequest(record, 'other', 86_400_000);
    expect(refuse).toThrow(InvalidArgumentError);
    expect(refuse).toThrow(
      /^idempotency_key: was used for a different request within the idempotency window \(24 h\)/,
    );
  });
});
