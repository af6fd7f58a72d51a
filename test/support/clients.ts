// Promise-style gRPC clients of a test cluster, calling with a given API key.
import type { ServiceError } from '@grpc/grpc-js';
import { common, inference, router } from '@keel/contracts';
import { call, inferenceClient, routerClient } from '@keel/kit';

export interface Clients {
  complete(
    key: string,
    request: Partial<inference.CompleteRequest>,
  ): Promise<inference.CompleteResponse>;
  createTenant(key: string, name: string): Promise<router.CreateTenantResponse>;
  createApiKey(
    key: string,
    request: Partial<router.CreateApiKeyRequest>,
  ): Promise<router.CreateApiKeyResponse>;
  revokeApiKey(key: string, keyId: string): Promise<router.RevokeApiKeyResponse>;
  putFunction(
    key: string,
    request: Partial<router.PutFunctionRequest>,
  ): Promise<router.PutFunctionResponse>;
  putProvider(key: string, provider: Partial<router.Provider>): Promise<router.PutProviderResponse>;
  putModel(
    key: string,
    model: Partial<router.Model>,
    effectiveAt?: Date,
  ): Promise<router.PutModelResponse>;
  getCatalog(key: string): Promise<router.GetCatalogResponse>;
  close(): void;
}

export function clientsOf(routerAddress: string, inferenceAddress: string): Clients {
  const routerStub = routerClient(routerAddress);
  const inferenceStub = inferenceClient(inferenceAddress);
  return {
    complete: (key, request) =>
      call<inference.CompleteResponse>(key, (metadata, callback) =>
        inferenceStub.complete(inference.CompleteRequest.fromPartial(request), metadata, callback),
      ),
    createTenant: (key, name) =>
      call<router.CreateTenantResponse>(key, (metadata, callback) =>
        routerStub.createTenant(
          router.CreateTenantRequest.fromPartial({ name }),
          metadata,
          callback,
        ),
      ),
    createApiKey: (key, request) =>
      call<router.CreateApiKeyResponse>(key, (metadata, callback) =>
        routerStub.createApiKey(
          router.CreateApiKeyRequest.fromPartial(request),
          metadata,
          callback,
        ),
      ),
    revokeApiKey: (key, keyId) =>
      call<router.RevokeApiKeyResponse>(key, (metadata, callback) =>
        routerStub.revokeApiKey({ keyId }, metadata, callback),
      ),
    putFunction: (key, request) =>
      call<router.PutFunctionResponse>(key, (metadata, callback) =>
        routerStub.putFunction(router.PutFunctionRequest.fromPartial(request), metadata, callback),
      ),
    putProvider: (key, provider) =>
      call<router.PutProviderResponse>(key, (metadata, callback) =>
        routerStub.putProvider(
          { provider: router.Provider.fromPartial(provider) },
          metadata,
          callback,
        ),
      ),
    putModel: (key, model, effectiveAt) =>
      call<router.PutModelResponse>(key, (metadata, callback) =>
        routerStub.putModel(
          { model: router.Model.fromPartial(model), effectiveAt },
          metadata,
          callback,
        ),
      ),
    getCatalog: (key) =>
      call<router.GetCatalogResponse>(key, (metadata, callback) =>
        routerStub.getCatalog({}, metadata, callback),
      ),
    close: () => {
      routerStub.close();
      inferenceStub.close();
    },
  };
}

export function userMessage(content: string): common.ChatMessage {
  return common.ChatMessage.fromPartial({ role: common.MessageRole.MESSAGE_ROLE_USER, content });
}

/** The gRPC error a call failed with (fails the test when the call succeeded). */
export async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}
