// The rate-limit step of the request path, once the route named the function: a refused caller
// learns from the trailing metadata when the window resets, so it can wait exactly that long.
import { UnavailableError } from '@keel/errors';
import type { Policy } from '@keel/routing';
import type { Route } from '../domain/route';
import { type Admission, RateLimitedError, type RateLimiter } from './limiter';
import { limitsOf } from './limits';

/** Trailing metadata of a request refused by a rate limit: ms until its window ends. */
export const RETRY_AFTER_TRAILER = 'retry-after-ms';

export async function rateLimit(
  limiter: RateLimiter,
  policy: Policy | null,
  route: Route,
  tenantId: string,
  trailers: { set(key: string, value: string): void },
): Promise<Admission> {
  if (!policy)
    throw new UnavailableError('the routing policy has not been loaded yet; retry shortly');
  try {
    return await limiter.admit(
      limitsOf(policy, tenantId, route.decision.functionName),
      route.inputTokens.tokens,
    );
  } catch (error) {
    if (error instanceof RateLimitedError && error.retryAfterMs !== null) {
      trailers.set(RETRY_AFTER_TRAILER, String(error.retryAfterMs));
    }
    throw error;
  }
}
