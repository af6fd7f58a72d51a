import { billing } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import type { Principal } from '@keel/kit';
import { topFunctions } from '../domain/usage';
import type { ReportDeps } from './deps';
import { rollupQueryOf } from './filter';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

export async function topFunctionsRpc(
  deps: ReportDeps,
  principal: Principal,
  request: billing.TopFunctionsRequest,
): Promise<billing.TopFunctionsResponse> {
  if (request.limit < 0 || request.limit > MAX_LIMIT) {
    throw new InvalidArgumentError('limit', `${request.limit} is not within 0..${MAX_LIMIT}`);
  }
  const query = rollupQueryOf(principal, request.filter);
  const functions = topFunctions(
    await deps.writer.findRollups(query),
    request.limit || DEFAULT_LIMIT,
  );
  return billing.TopFunctionsResponse.fromPartial({ functions });
}
