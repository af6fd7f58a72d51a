import { Metadata, status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { INVALID_UTF8_MARKER as BAD, callWithBytes, withInvalidUtf8 } from '@keel/testing';
import { startTestRouter, type TestRouter } from './router.fixture';

describe('RouterService refuses strings that are not valid UTF-8, over real gRPC', () => {
  let r: TestRouter;

  beforeAll(async () => {
    r = await startTestRouter();
  });

  afterAll(async () => {
    await r.stop();
  });

  const call = (method: string, encoded: Uint8Array) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${r.operatorToken}`);
    const path = `/keel.router.v1.RouterService/${method}`;
    return callWithBytes(`127.0.0.1:${r.app.port}`, path, withInvalidUtf8(encoded), metadata);
  };

  it('refuses a tenant name with invalid UTF-8, naming name, and takes the same name valid', async () => {
    const request = router.CreateTenantRequest.fromPartial({ name: `Acme ${BAD}` });
    await expect(
      call('CreateTenant', router.CreateTenantRequest.encode(request).finish()),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: 'name: not valid UTF-8' });
    const created = await r.client.createTenant(r.operatorToken, { name: `Acme ${BAD}` });
    expect(created.tenant?.name).toBe(`Acme ${BAD}`);
  });

  it('names a model of a variant deep inside PutFunction', async () => {
    const request = router.PutFunctionRequest.fromPartial({
      tenantId: 'tenant-x',
      functionName: 'support.answer',
      variants: [
        { variantName: 'cheap', modelChain: ['sim-small'] },
        { variantName: 'strong', modelChain: ['sim-large', `sim-small${BAD}`] },
      ],
      policy: { fixed: { variantName: 'strong' } },
    });
    await expect(
      call('PutFunction', router.PutFunctionRequest.encode(request).finish()),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'variants[1].model_chain[1]: not valid UTF-8',
    });
  });

  it('names a default header of PutProvider, a map entry', async () => {
    const request = router.PutProviderRequest.fromPartial({
      provider: {
        name: 'openai',
        kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
        baseUrl: 'https://api.openai.com/v1',
        defaultHeaders: { 'x-region': `eu${BAD}` },
      },
    });
    await expect(
      call('PutProvider', router.PutProviderRequest.encode(request).finish()),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'provider.default_headers["x-region"]: not valid UTF-8',
    });
  });
});
