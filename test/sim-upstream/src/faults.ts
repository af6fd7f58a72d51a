// Faults injected into HTTP requests: at random from a seeded plan, or as a request's directive.
import { randomFromSeed } from './random';

/** The faults a plan draws from. */
export type FaultKind = 'http500' | 'http429' | 'reset' | 'timeout' | 'failAfter';

export const FAULT_KINDS: readonly FaultKind[] = [
  'http500',
  'http429',
  'reset',
  'timeout',
  'failAfter',
];

/**
 * A share `rate` of requests fails; each failing request's fault is drawn with the weights in
 * `shares` (relative, need not sum to 1). The draw for the n-th request depends only on the
 * seed and n, so a seed replays the same faults in the same request order.
 */
export interface FaultPlan {
  rate: number;
  shares: Partial<Record<FaultKind, number>>;
  /** The Retry-After of a 429, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** The deltas a `failAfter` stream sends before the connection drops (default 3). */
  failAfterDeltas?: number;
}

/** What happens to one request instead of its answer. */
export type Fault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'reset' }
  /** Hold the request open without answering. */
  | { kind: 'timeout' }
  | { kind: 'failAfter'; deltas: number };

/** The counter a fault is counted under: `http<status>`, `reset`, `timeout` or `failAfter`. */
export function faultCounterKey(fault: Fault): string {
  return fault.kind === 'status' ? `http${fault.status}` : fault.kind;
}

/** Checks a plan, naming what is wrong with it. */
export function validatePlan(plan: FaultPlan): void {
  if (!(plan.rate >= 0 && plan.rate <= 1)) throw new Error('faults.rate must be from 0 to 1');
  const weights = Object.entries(plan.shares);
  for (const [kind, weight] of weights) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) {
      throw new Error(`faults.shares.${kind} is not one of ${FAULT_KINDS.join(', ')}`);
    }
    if (!(typeof weight === 'number' && weight >= 0)) {
      throw new Error(`faults.shares.${kind} must be a number of at least 0`);
    }
  }
  if (plan.rate > 0 && weights.every(([, weight]) => weight === 0)) {
    throw new Error('faults.shares needs a positive share when faults.rate is above 0');
  }
}

/** The plan's faults for requests in arrival order. */
export class FaultSchedule {
  private readonly random: () => number;

  constructor(
    private readonly plan: FaultPlan,
    seed: number,
  ) {
    validatePlan(plan);
    this.random = randomFromSeed(seed);
  }

  /** The next request's fault, if it gets one. Every call draws twice, fault or not. */
  next(): Fault | undefined {
    const [fails, pick] = [this.random(), this.random()];
    if (fails >= this.plan.rate) return undefined;
    const weights = FAULT_KINDS.map((kind) => this.plan.shares[kind] ?? 0);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let at = pick * total;
    let index = 0;
    // Rounding can leave `at` at the very end: the last kind with a share takes it.
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      index = i;
      if ((at -= weights[i]) < 0) break;
    }
    return this.faultOf(FAULT_KINDS[index]);
  }

  private faultOf(kind: FaultKind): Fault {
    switch (kind) {
      case 'http500':
        return { kind: 'status', status: 500 };
      case 'http429':
        return { kind: 'status', status: 429, retryAfterSeconds: this.plan.retryAfterSeconds ?? 1 };
      case 'reset':
        return { kind: 'reset' };
      case 'timeout':
        return { kind: 'timeout' };
      case 'failAfter':
        return { kind: 'failAfter', deltas: this.plan.failAfterDeltas ?? 3 };
    }
  }
}
