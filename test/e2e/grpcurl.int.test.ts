// grpcurl, the first client most people try, lists, describes, health-checks and calls every
// service as a real process through server reflection alone: it has no .proto files.
import { eventually, grpcurl, grpcurlBinary } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';

type ServiceName = Parameters<Cluster['start']>[0];

jest.setTimeout(120_000);

const HEALTH = 'grpc.health.v1.Health';
/** The Keel gRPC services each process serves beside health. */
const SERVED: Record<ServiceName, string[]> = {
  router: ['keel.router.v1.RouterService'],
  inference: ['keel.inference.v1.InferenceService'],
  retrieval: ['keel.retrieval.v1.RetrievalService'],
  evaluation: ['keel.evaluation.v1.DatasetService', 'keel.evaluation.v1.EvaluationService'],
  feedback: ['keel.feedback.v1.FeedbackService'],
  billing: ['keel.billing.v1.BillingService'],
};
const SERVICES = Object.keys(SERVED) as ServiceName[];

describe('grpcurl through reflection', () => {
  let binary: string;
  let cluster: Cluster;

  // The first run on a machine builds grpcurl with Go.
  beforeAll(() => {
    binary = grpcurlBinary();
  }, 600_000);

  beforeAll(async () => {
    cluster = await startCluster(SERVICES);
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  const call = (service: ServiceName, args: string[], flags: string[] = []) =>
    grpcurl(binary, cluster.address(service), args, flags);

  it.each(SERVICES)('lists and describes the services of %s', async (service) => {
    const listed = (await call(service, ['list'])).trim().split('\n').sort();
    expect(listed).toEqual([HEALTH, ...SERVED[service]].sort());

    for (const name of listed) {
      const described = await call(service, ['describe', name]);
      expect(described).toContain(`${name} is a service:`);
      expect(described).toContain(`service ${name.split('.').pop()} {`);
    }
  });

  it.each(SERVICES)('describes messages with imported types on %s', async (service) => {
    // Types from keel/common/v1 and google/protobuf are resolved from the imported files.
    const request = await call(service, ['describe', 'keel.inference.v1.CompleteRequest']);
    expect(request).toContain('repeated .keel.common.v1.ChatMessage messages = 2;');
    const attempt = await call(service, ['describe', 'keel.inference.v1.Attempt']);
    expect(attempt).toContain('.keel.common.v1.Usage usage =');
    expect(attempt).toContain('.google.protobuf.Duration');
  });

  it.each(SERVICES)('answers grpc.health.v1.Health/Check on %s', async (service) => {
    const server = JSON.parse(await call(service, [`${HEALTH}/Check`]));
    expect(server).toEqual({ status: 'SERVING' });
    for (const name of SERVED[service]) {
      const check = await call(
        service,
        [`${HEALTH}/Check`],
        ['-d', JSON.stringify({ service: name })],
      );
      expect(JSON.parse(check)).toEqual({ status: 'SERVING' });
    }
  });

  it('creates a tenant on the router, then completes and streams a request with its key', async () => {
    const bearer = (key: string) => ['-H', `authorization: Bearer ${key}`];
    const created = JSON.parse(
      await call(
        'router',
        ['keel.router.v1.RouterService/CreateTenant'],
        [...bearer(cluster.adminKey()), '-d', JSON.stringify({ name: 'initech' })],
      ),
    ) as { apiKeySecret: string };
    expect(created.apiKeySecret).toMatch(/^keel_/);

    const request = {
      messages: [{ role: 'MESSAGE_ROLE_USER', content: 'What is the capital of France?' }],
    };
    // The new key reaches inference through the keys snapshot shortly after creation.
    const answer = await eventually(
      async () =>
        JSON.parse(
          await call(
            'inference',
            ['keel.inference.v1.InferenceService/Complete'],
            [...bearer(created.apiKeySecret), '-d', JSON.stringify(request)],
          ),
        ) as { inferenceId: string; text: string; model: string },
      { what: 'Complete through grpcurl with the new key', intervalMs: 200 },
    );
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.inferenceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(answer.model).toBe('sim-small');

    // A server stream prints one JSON object per message; only top-level ones start a line.
    const printed = await call(
      'inference',
      ['keel.inference.v1.InferenceService/Stream'],
      [...bearer(created.apiKeySecret), '-d', JSON.stringify(request)],
    );
    const messages = JSON.parse(`[${printed.trim().replace(/\n}\n{/g, '\n},{')}]`) as Array<{
      inferenceId: string;
      delta?: { text?: string };
      end?: { model: string };
    }>;
    const streamed = messages.map((message) => message.delta?.text ?? '').join('');
    expect(streamed).toBe(answer.text);
    expect(messages.at(-1)?.end?.model).toBe('sim-small');
    expect(new Set(messages.map((message) => message.inferenceId)).size).toBe(1);
  });
});
