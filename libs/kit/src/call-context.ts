// What a handler learns of its call besides the request: who called, and until when the
// caller waits. The signal lets a handler stop work nobody will receive (a provider request).
import { type Deadline, type Metadata, status } from '@grpc/grpc-js';
import type { router } from '@keel/contracts';
import type { KeyRing, Principal } from './key-ring';

export interface CallContext {
  /** The caller, when the method requires a scope; null for methods open to anyone. */
  principal: Principal | null;
  metadata: Metadata;
  /** Aborted when the caller cancels or its deadline passes; its reason is a CallEnded. */
  signal: AbortSignal;
  /** When the caller's deadline passes, in ms since the epoch; Infinity when it set none. */
  deadline: number;
  /** Trailing metadata, sent with the call's status whether it ends OK or with an error. */
  trailers: Metadata;
}

/** Why a call's signal was aborted: the status the caller already has. */
export class CallEnded extends Error {
  constructor(readonly code: status.CANCELLED | status.DEADLINE_EXCEEDED) {
    super(code === status.CANCELLED ? 'the caller cancelled' : 'the caller’s deadline passed');
    this.name = 'CallEnded';
  }

  /** The caller cancelled, as opposed to its deadline passing. */
  get byCaller(): boolean {
    return this.code === status.CANCELLED;
  }
}

/** The caller cancelled the call (its deadline passing is not a cancel). */
export function cancelledByCaller(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof CallEnded && signal.reason.byCaller;
}

export interface CallAuth {
  keyRing?: KeyRing;
  scope?: router.ApiKeyScope;
}

/** Throws at binding time for a scope with no key ring to check it against. */
export function checkAuthOptions(kind: string, auth: CallAuth): void {
  if (auth.scope !== undefined && !auth.keyRing) {
    throw new Error(`${kind}: a scope needs a keyRing to check it against`);
  }
}

/** The caller, authenticated and authorized for `scope`; null when no scope is required. */
export function principalOf(metadata: Metadata, auth: CallAuth): Principal | null {
  if (auth.scope === undefined || !auth.keyRing) return null;
  const principal = auth.keyRing.authenticate(metadata);
  auth.keyRing.authorize(principal, auth.scope);
  return principal;
}

/**
 * The call's cancellation signal and deadline. `release()` stops its deadline timer once the
 * call is answered.
 */
export function callSignal(call: {
  getDeadline(): Deadline;
  once(event: 'cancelled', listener: () => void): unknown;
}): {
  signal: AbortSignal;
  deadline: number;
  release(): void;
} {
  const controller = new AbortController();
  const given = call.getDeadline();
  const deadline = given instanceof Date ? given.getTime() : given;
  let released = false;
  // grpc-js may report a call cancelled once it is answered (the client reset its stream):
  // nothing is left to stop by then.
  call.once('cancelled', () => {
    if (!released && !controller.signal.aborted) {
      const passed = Date.now() >= deadline;
      controller.abort(new CallEnded(passed ? status.DEADLINE_EXCEEDED : status.CANCELLED));
    }
  });
  const timer = Number.isFinite(deadline)
    ? setTimeout(
        () => controller.abort(new CallEnded(status.DEADLINE_EXCEEDED)),
        Math.max(0, deadline - Date.now()),
      )
    : undefined;
  const release = () => {
    released = true;
    clearTimeout(timer);
  };
  return { signal: controller.signal, deadline, release };
}

/**
 * The status a failed handler's caller gets: that of its call's end when the caller already
 * left (its deadline or cancel decided the outcome), else the error's.
 */
export function endedStatus(signal: AbortSignal): status | null {
  return signal.aborted && signal.reason instanceof CallEnded ? signal.reason.code : null;
}
