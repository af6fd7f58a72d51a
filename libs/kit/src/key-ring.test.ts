import crypto from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { newApiKey } from './api-key';
import { KeyRing, principalOfKey, refuseExpired } from './key-ring';

const { API_KEY_SCOPE_INFERENCE: INFERENCE, API_KEY_SCOPE_ADMIN: ADMIN } = router.ApiKeyScope;

function bearer(value: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', value);
  return metadata;
}

/** The error `act` throws, so both its kind and its message can be asserted. */
function refusal(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

function record(key: ReturnType<typeof newApiKey>, tenantId: string, scopes: router.ApiKeyScope[]) {
  return router.ApiKeyRecord.fromPartial({
    keyId: key.keyId,
    tenantId,
    secretSha256: key.secretSha256,
    scopes,
  });
}

describe('KeyRing', () => {
  const alice = newApiKey();
  const bob = newApiKey();
  let ring: KeyRing;

  beforeEach(() => {
    ring = new KeyRing();
    ring.update(
      router.KeysSnapshot.fromPartial({
        keys: [
          record(alice, 'tenant-a', [INFERENCE]),
          { ...record(bob, 'operators', [INFERENCE, ADMIN]), operator: true },
        ],
      }),
      7n,
    );
  });

  afterEach(() => jest.restoreAllMocks());

  it('knows no version before the first snapshot and refuses keys until then', () => {
    const empty = new KeyRing();
    expect(empty.version).toBeNull();
    expect(refusal(() => empty.authenticate(bearer(`Bearer ${alice.token}`)))).toMatchObject({
      kind: 'UNAVAILABLE',
      message: 'API keys are not loaded yet; retry shortly',
    });
    expect(ring.version).toBe(7n);
  });

  it('authenticates a known key as its tenant, with its scopes', () => {
    expect(ring.authenticate(bearer(`Bearer ${alice.token}`))).toEqual({
      tenantId: 'tenant-a',
      keyId: alice.keyId,
      scopes: [INFERENCE],
      operator: false,
    });
    expect(ring.authenticate(bearer(`bearer ${bob.token}`))).toEqual({
      tenantId: 'operators',
      keyId: bob.keyId,
      scopes: [INFERENCE, ADMIN],
      operator: true,
    });
  });

  it('asks for the authorization header when it is missing', () => {
    expect(refusal(() => ring.authenticate(new Metadata()))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      message:
        'missing authorization header: expected `authorization: Bearer keel_<key id>_<secret>`',
    });
  });

  it.each([
    ['no Bearer scheme', alice.token],
    ['another scheme', `Basic ${alice.token}`],
    ['a token that is not a Keel key', 'Bearer sk-proj-abc'],
  ])('explains the expected format for %s', (_label, header) => {
    expect(refusal(() => ring.authenticate(bearer(header)))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      message: 'malformed API key: expected `authorization: Bearer keel_<key id>_<secret>`',
    });
  });

  it('refuses an unknown key and a wrong secret with the same message', () => {
    const stranger = newApiKey();
    const wrongSecret = `keel_${alice.keyId}_${stranger.secret}`;
    const refused = { kind: 'UNAUTHENTICATED', message: 'unknown or revoked API key' };
    expect(refusal(() => ring.authenticate(bearer(`Bearer ${stranger.token}`)))).toMatchObject(
      refused,
    );
    expect(refusal(() => ring.authenticate(bearer(`Bearer ${wrongSecret}`)))).toMatchObject(
      refused,
    );
  });

  it('compares digests in constant time, for unknown keys as for known ones', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    const attempts = [alice.token, `keel_${alice.keyId}_${bob.secret}`, newApiKey().token];
    for (const token of attempts) {
      try {
        ring.authenticate(bearer(`Bearer ${token}`));
      } catch {
        // Refusals are asserted above; here only the path taken matters.
      }
    }
    expect(compare).toHaveBeenCalledTimes(attempts.length);
    for (const [actual, expected] of compare.mock.calls) {
      expect((actual as Buffer).length).toBe(32);
      expect((expected as Buffer).length).toBe(32);
    }
  });

  it('revokes a key absent from the next snapshot', () => {
    ring.update(router.KeysSnapshot.fromPartial({ keys: [record(bob, 'operators', [ADMIN])] }), 8n);
    expect(ring.version).toBe(8n);
    expect(refusal(() => ring.authenticate(bearer(`Bearer ${alice.token}`)))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      message: 'unknown or revoked API key',
    });
    // The snapshot replaces the scopes too.
    expect(ring.authenticate(bearer(`Bearer ${bob.token}`)).scopes).toEqual([ADMIN]);
  });

  it('authorizes a scope the key has and names the scope it lacks', () => {
    const principal = ring.authenticate(bearer(`Bearer ${alice.token}`));
    expect(() => ring.authorize(principal, INFERENCE)).not.toThrow();
    expect(refusal(() => ring.authorize(principal, ADMIN))).toMatchObject({
      kind: 'PERMISSION_DENIED',
      message: "this API key lacks the 'admin' scope",
    });
  });
});

describe('principalOfKey', () => {
  const key = newApiKey();

  it("gives operator power only to an admin key of the operator's tenant", () => {
    const operatorKey = (scopes: router.ApiKeyScope[]) => ({
      ...record(key, 'operators', scopes),
      operator: true,
    });
    expect(principalOfKey(operatorKey([INFERENCE, ADMIN])).operator).toBe(true);
    expect(principalOfKey(operatorKey([INFERENCE])).operator).toBe(false);
    expect(principalOfKey(record(key, 'tenant-a', [ADMIN])).operator).toBe(false);
  });
});

describe('key expiry', () => {
  const key = newApiKey();
  const expiresAt = new Date('2026-06-01T12:00:00.000Z');
  const expiring = { ...record(key, 'tenant-a', [INFERENCE]), expiresAt };

  it('accepts a key before its expiry and refuses it from then on, saying when', () => {
    expect(() => refuseExpired(expiring, expiresAt.getTime() - 1)).not.toThrow();
    for (const now of [expiresAt.getTime(), expiresAt.getTime() + 60_000]) {
      expect(refusal(() => refuseExpired(expiring, now))).toMatchObject({
        kind: 'UNAUTHENTICATED',
        message: 'API key expired at 2026-06-01T12:00:00.000Z',
      });
    }
  });

  it('never expires a key without an expiry', () => {
    expect(() => refuseExpired(record(key, 'tenant-a', [INFERENCE]), Date.now() * 2)).not.toThrow();
  });

  it('checks the clock at each request, not when the snapshot arrived', () => {
    let now = expiresAt.getTime() - 1_000;
    const ring = new KeyRing(() => now);
    ring.update(router.KeysSnapshot.fromPartial({ keys: [expiring] }), 1n);
    expect(ring.authenticate(bearer(`Bearer ${key.token}`)).keyId).toBe(key.keyId);
    now = expiresAt.getTime();
    expect(refusal(() => ring.authenticate(bearer(`Bearer ${key.token}`)))).toMatchObject({
      kind: 'UNAUTHENTICATED',
      message: 'API key expired at 2026-06-01T12:00:00.000Z',
    });
  });

  it('does not say a key expired to a caller with the wrong secret', () => {
    const ring = new KeyRing(() => expiresAt.getTime() + 1);
    ring.update(router.KeysSnapshot.fromPartial({ keys: [expiring] }), 1n);
    const wrong = `keel_${key.keyId}_${newApiKey().secret}`;
    expect(refusal(() => ring.authenticate(bearer(`Bearer ${wrong}`)))).toMatchObject({
      message: 'unknown or revoked API key',
    });
  });
});
