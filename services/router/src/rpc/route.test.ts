import type { Principal } from '@keel/kit';
import { UnavailableError } from '@keel/errors';
import type { RouterDeps } from '../deps';
import { routeRpc } from './route';

const caller: Principal = { tenantId: 'acme', keyId: 'k1', scopes: [], operator: false };

describe('routeRpc', () => {
  it('is unavailable until the first policy snapshot arrives', async () => {
    const deps = { follower: { policy: null } } as unknown as RouterDeps;
    await expect(
      routeRpc(deps, caller, { tenantId: '', functionName: '', model: '' }),
    ).rejects.toThrow(UnavailableError);
  });
});
