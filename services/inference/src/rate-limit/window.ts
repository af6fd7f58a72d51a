// The arithmetic of fixed one-minute windows and the leases replicas take from them. Every
// replica counts against the same shared counter per window; a lease is the part of the
// window's budget one replica takes at once and then spends locally.

export const WINDOW_MS = 60_000;

/** What a limit counts. */
export type LimitKind = 'rpm' | 'tpm';

/**
 * Whose requests a limit counts: a tenant's all together, or one function's. `functionName`
 * null is the tenant-wide limit.
 */
export interface LimitScope {
  tenantId: string;
  functionName: string | null;
}

/** The start of the window holding `nowMs`, ms since the epoch. */
export function windowStartOf(nowMs: number): number {
  return Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
}

/** Time until the window holding `nowMs` ends: when a refused request may try again. */
export function retryAfterMs(nowMs: number): number {
  return windowStartOf(nowMs) + WINDOW_MS - nowMs;
}

/**
 * The tenant-wide counter's place in a key. Function names start with a letter or digit, so
 * no function's counter can take this name.
 */
const TENANT_WIDE = '_tenant';

/**
 * The limit's name: `<tenant>.<function|_tenant>.<rpm|tpm>`. A dot inside a name becomes `/`
 * (which no tenant id or function name holds), so every name is one token of the key and a
 * name like `a..b` makes no empty token, which NATS refuses.
 */
export function limitName(scope: LimitScope, kind: LimitKind): string {
  const fn = scope.functionName === null ? TENANT_WIDE : token(scope.functionName);
  return `${token(scope.tenantId)}.${fn}.${kind}`;
}

function token(name: string): string {
  return name.replaceAll('.', '/');
}

/** The key of the limit's shared counter in one window: its name, then the window's start. */
export function counterKey(scope: LimitScope, kind: LimitKind, windowStart: number): string {
  return `${limitName(scope, kind)}.${windowStart}`;
}

/** The budget a replica takes at once: a tenth of the limit, at least 1. */
export function leaseSizeOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 10));
}

/**
 * How much of a window's budget to lease, `leased` of `limit` being taken already: a lease
 * (or `need`, when a single request needs more), no more than is left; 0 when what is left
 * cannot cover `need`, so a request too big for the rest of the window takes nothing from it.
 */
export function grantOf(
  leased: number,
  limit: number,
  need: number,
  leaseSize = leaseSizeOf(limit),
): number {
  const left = Math.max(0, limit - leased);
  if (left === 0 || left < need) return 0;
  return Math.min(left, Math.max(need, leaseSize));
}
