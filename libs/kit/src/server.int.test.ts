import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { descriptorSetPath, healthDescriptorSetPath, router } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import pino from 'pino';
import { KeelServer, KeyRing, newApiKey, unary, type KitLogger } from './index';

const { API_KEY_SCOPE_INFERENCE: INFERENCE, API_KEY_SCOPE_ADMIN: ADMIN } = router.ApiKeyScope;
const ROUTER_SERVICE = 'keel.router.v1.RouterService';

/** A pino logger whose JSON lines the test can read. */
function capturedLogger(): { logger: KitLogger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger: KitLogger = pino({ level: 'info' }, sink);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

/** Clients built from the .proto files the health and reflection packages ship. */
function loadClient(protoFile: string, service: string): grpc.ServiceClientConstructor {
  const definition = grpc.loadPackageDefinition(loadSync(protoFile, { enums: String }));
  let found: unknown = definition;
  for (const part of service.split('.')) found = (found as Record<string, unknown>)[part];
  return found as grpc.ServiceClientConstructor;
}

const reflectionProto = (version: 'v1' | 'v1alpha') =>
  path.join(
    path.dirname(require.resolve('@grpc/reflection/package.json')),
    `build/proto/grpc/reflection/${version}/reflection.proto`,
  );

interface ReflectionResponse {
  listServicesResponse?: { service: Array<{ name: string }> };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** One request on the bidirectional ServerReflectionInfo stream. */
function reflect(client: grpc.Client, request: object): Promise<ReflectionResponse> {
  return new Promise((resolve, reject) => {
    const call = (
      client as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, unknown> }
    ).ServerReflectionInfo();
    call.once('data', (response: ReflectionResponse) => {
      resolve(response);
      call.end();
    });
    call.once('error', reject);
    call.write(request);
  });
}

function unaryCall<Res>(
  start: (callback: (error: grpc.ServiceError | null, response: Res) => void) => void,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    start((error, response) => (error ? reject(error) : resolve(response))),
  );
}

function withKey(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

describe('KeelServer over real gRPC', () => {
  const { logger, lines } = capturedLogger();
  const inferenceKey = newApiKey();
  const adminKey = newApiKey();
  const keyRing = new KeyRing();
  const catalog = router.ModelCatalog.fromPartial({
    version: 2n ** 62n,
    defaultModel: 'sim-small',
    models: [
      {
        name: 'sim-small',
        provider: 'sim',
        price: {
          inputNanoUsdPerMtok: 2n ** 62n,
          outputNanoUsdPerMtok: 2n ** 63n - 1n,
          cachedInputNanoUsdPerMtok: 1n,
        },
      },
    ],
  });

  let server: KeelServer;
  let address: string;
  let routerClient: router.RouterServiceClient;
  let healthClient: grpc.Client;
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    keyRing.update(
      router.KeysSnapshot.fromPartial({
        keys: [
          {
            keyId: inferenceKey.keyId,
            tenantId: 't1',
            secretSha256: inferenceKey.secretSha256,
            scopes: [INFERENCE],
          },
          {
            keyId: adminKey.keyId,
            tenantId: 't1',
            secretSha256: adminKey.secretSha256,
            scopes: [ADMIN],
          },
        ],
      }),
      1n,
    );
    server = new KeelServer({ serviceName: 'router', logger, host: '127.0.0.1', port: 0 });
    server.addService(router.RouterServiceService, {
      getCatalog: unary<router.GetCatalogRequest, router.GetCatalogResponse>({
        logger,
        keyRing,
        scope: INFERENCE,
        handler: async () => ({ catalog }),
      }),
      route: unary<router.RouteRequest, router.RouteResponse>({
        logger,
        keyRing,
        scope: ADMIN,
        handler: async (request, { principal }) => {
          if (request.functionName === 'invalid') {
            throw new InvalidArgumentError('messages', 'must not be empty');
          }
          if (request.functionName === 'explode') {
            throw new Error('mongodb://user:hunter2@db refused');
          }
          return {
            decision: router.RouteDecision.fromPartial({
              functionName: request.functionName,
              variantName: principal?.tenantId,
              policyVersion: 2n ** 62n,
              catalogVersion: -(2n ** 63n),
            }),
          };
        },
      }),
    });
    const port = await server.start();
    address = `127.0.0.1:${port}`;
    const insecure = grpc.credentials.createInsecure();
    routerClient = new router.RouterServiceClient(address, insecure);
    const Health = loadClient(healthProtoPath, 'grpc.health.v1.Health');
    healthClient = new Health(address, insecure);
    clients.push(routerClient, healthClient);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await server.shutdown(1_000);
  });

  const check = (service: string) =>
    unaryCall<{ status: string }>((callback) =>
      (healthClient as unknown as Record<string, (...args: unknown[]) => void>).Check(
        { service },
        callback,
      ),
    );

  it('reports NOT_SERVING until setServing(true), then SERVING', async () => {
    expect(await check('')).toEqual({ status: 'NOT_SERVING' });
    expect(await check(ROUTER_SERVICE)).toEqual({ status: 'NOT_SERVING' });

    server.setServing(true);
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check(ROUTER_SERVICE)).toEqual({ status: 'SERVING' });

    server.setServing(false);
    expect(await check(ROUTER_SERVICE)).toEqual({ status: 'NOT_SERVING' });
    server.setServing(true);
    await expect(check('keel.nothing.v1.NothingService')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it.each(['v1', 'v1alpha'] as const)(
    'lists its services and serves their files as built over %s reflection',
    async (version) => {
      const Reflection = loadClient(
        reflectionProto(version),
        `grpc.reflection.${version}.ServerReflection`,
      );
      const client = new Reflection(address, grpc.credentials.createInsecure());
      clients.push(client);

      const listed = await reflect(client, { listServices: '' });
      const names = listed.listServicesResponse?.service.map((service) => service.name).sort();
      expect(names).toEqual(['grpc.health.v1.Health', ROUTER_SERVICE]);

      // Each file as buf built it, with the files it imports, so clients resolve every type.
      const built = new Map(
        [descriptorSetPath, healthDescriptorSetPath]
          .flatMap((set) => fromBinary(FileDescriptorSetSchema, readFileSync(set)).file)
          .map((file) => [file.name, file]),
      );
      const expected: Array<[string, string[]]> = [
        [
          ROUTER_SERVICE,
          [
            'google/protobuf/duration.proto',
            'google/protobuf/timestamp.proto',
            'keel/router/v1/router.proto',
            'keel/router/v1/router_service.proto',
          ],
        ],
        ['grpc.health.v1.Health', ['health/v1/health.proto']],
      ];
      for (const [symbol, fileNames] of expected) {
        const response = await reflect(client, { fileContainingSymbol: symbol });
        expect(response.errorResponse).toBeUndefined();
        const served = response.fileDescriptorResponse!.fileDescriptorProto.map((bytes) =>
          fromBinary(FileDescriptorProtoSchema, bytes),
        );
        expect(served.map((file) => file.name).sort()).toEqual(fileNames);
        for (const file of served) expect(file).toEqual(built.get(file.name));
      }
    },
  );

  it('round-trips int64 values beyond 2^53 exactly', async () => {
    const response = await unaryCall<router.GetCatalogResponse>((callback) =>
      routerClient.getCatalog({}, withKey(inferenceKey.token), callback),
    );
    expect(response.catalog?.version).toBe(2n ** 62n);
    expect(response.catalog?.models[0].price).toEqual({
      inputNanoUsdPerMtok: 2n ** 62n,
      outputNanoUsdPerMtok: 2n ** 63n - 1n,
      cachedInputNanoUsdPerMtok: 1n,
    });

    const routed = await unaryCall<router.RouteResponse>((callback) =>
      routerClient.route(
        { tenantId: 't1', functionName: 'support.answer', model: '' },
        withKey(adminKey.token),
        callback,
      ),
    );
    expect(routed.decision?.policyVersion).toBe(2n ** 62n);
    expect(routed.decision?.catalogVersion).toBe(-(2n ** 63n));
    // The handler saw the authenticated principal.
    expect(routed.decision?.variantName).toBe('t1');
  });

  it("answers a KeelError with its status and the caller-facing 'field: problem'", async () => {
    const call = unaryCall<router.RouteResponse>((callback) =>
      routerClient.route(
        { tenantId: 't1', functionName: 'invalid', model: '' },
        withKey(adminKey.token),
        callback,
      ),
    );
    await expect(call).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'messages: must not be empty',
    });
  });

  it('answers an unknown error with INTERNAL and logs its stack on the server only', async () => {
    const error: grpc.ServiceError = await unaryCall<router.RouteResponse>((callback) =>
      routerClient.route(
        { tenantId: 't1', functionName: 'explode', model: '' },
        withKey(adminKey.token),
        callback,
      ),
    ).then(
      () => {
        throw new Error('expected INTERNAL');
      },
      (rejection: grpc.ServiceError) => rejection,
    );
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect(error.details).toBe('internal error');
    expect(JSON.stringify(error.metadata.getMap())).not.toContain('hunter2');

    const logged = lines().find((line) => line.msg === 'request failed');
    expect(logged).toMatchObject({
      level: 50,
      method: `/${ROUTER_SERVICE}/Route`,
      err: { message: 'mongodb://user:hunter2@db refused' },
    });
    expect((logged?.err as { stack: string }).stack).toContain('server.int.test.ts');
  });

  it('answers UNAUTHENTICATED without a key and for an unknown key', async () => {
    await expect(
      unaryCall((callback) => routerClient.getCatalog({}, callback)),
    ).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details:
        'missing authorization header: expected `authorization: Bearer keel_<key id>_<secret>`',
    });
    await expect(
      unaryCall((callback) => routerClient.getCatalog({}, withKey(newApiKey().token), callback)),
    ).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'unknown or revoked API key',
    });
  });

  it('answers PERMISSION_DENIED for a key without the scope', async () => {
    const call = unaryCall((callback) =>
      routerClient.route(
        { tenantId: 't1', functionName: 'f', model: '' },
        withKey(inferenceKey.token),
        callback,
      ),
    );
    await expect(call).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: "this API key lacks the 'admin' scope",
    });
  });

  it('answers UNIMPLEMENTED for a method the service does not implement', async () => {
    const call = unaryCall((callback) =>
      routerClient.revokeApiKey({ keyId: 'k' }, withKey(adminKey.token), callback),
    );
    await expect(call).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });
});
