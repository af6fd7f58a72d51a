// A request goes in over gRPC, an answer comes out, and billing and evaluation record it
// from the bus: every service a real process on the real servers.
import { status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, grpcError, userMessage, type Clients } from '../support/clients';

jest.setTimeout(120_000);

describe('walking skeleton', () => {
  let cluster: Cluster;
  let clients: Clients;
  let tenantId: string;
  let tenantKey: string;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference', 'billing', 'evaluation']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const created = await clients.createTenant(cluster.adminKey(), 'acme');
    tenantId = created.tenant!.tenantId;
    tenantKey = created.apiKeySecret;
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  // A new tenant's key reaches inference through the keys snapshot shortly after creation.
  const complete = (content: string) =>
    eventually(() => clients.complete(tenantKey, { messages: [userMessage(content)] }), {
      what: 'Complete with the new key',
    });

  it('records a ledger document and evaluations with the inference id', async () => {
    const reply = await complete('What is the capital of France?');
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.model).toBe('sim-small');
    expect(reply.usage!.inputTokens).toBeGreaterThan(0n);
    expect(reply.usage!.outputTokens).toBeGreaterThan(0n);
    expect(reply.costNanoUsd).toBeGreaterThan(0n);

    const ledger = cluster.db('billing').collection('ledger');
    const entry = await eventually(
      () => ledger.findOne({ tenant_id: tenantId, inference_id: reply.inferenceId }),
      { what: 'ledger document' },
    );
    expect(entry.total_nano_usd).toBe(reply.costNanoUsd);
    expect(entry.line_items).toHaveLength(1);
    expect(entry.line_items[0]).toMatchObject({
      model: 'sim-small',
      input_tokens: reply.usage!.inputTokens,
      output_tokens: reply.usage!.outputTokens,
    });

    const evaluations = cluster.db('evaluation').collection('evaluations');
    const nonEmpty = await eventually(
      () =>
        evaluations.findOne({
          tenant_id: tenantId,
          inference_id: reply.inferenceId,
          evaluator: 'non_empty@1',
        }),
      { what: 'non_empty evaluation' },
    );
    expect(nonEmpty.score).toBe(1);
  });

  it('scores an empty answer 0', async () => {
    const reply = await complete('[sim:empty] Say nothing.');
    expect(reply.text).toBe('');
    expect(reply.usage!.outputTokens).toBe(0n);
    const evaluations = cluster.db('evaluation').collection('evaluations');
    const nonEmpty = await eventually(
      () =>
        evaluations.findOne({
          tenant_id: tenantId,
          inference_id: reply.inferenceId,
          evaluator: 'non_empty@1',
        }),
      { what: 'non_empty evaluation of the empty answer' },
    );
    expect(nonEmpty.score).toBe(0);
  });

  it('refuses bad input with a status naming the field, never a stack trace', async () => {
    await complete('warm');
    const cases: Array<[Parameters<Clients['complete']>[1], string]> = [
      [{ messages: [] }, 'messages'],
      [{ messages: [userMessage('hi')], maxTokens: -1 }, 'max_tokens'],
      [{ messages: [userMessage('hi')], maxTokens: 1_000_000_000 }, 'max_tokens'],
    ];
    for (const [request, field] of cases) {
      const error = await grpcError(clients.complete(tenantKey, request));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toContain(field);
      expect(error.details).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses a missing or wrong key as UNAUTHENTICATED', async () => {
    const missing = await grpcError(clients.complete('', { messages: [userMessage('hi')] }));
    expect(missing.code).toBe(status.UNAUTHENTICATED);
    const wrongSecret = tenantKey.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const wrong = await grpcError(clients.complete(wrongSecret, { messages: [userMessage('hi')] }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
  });

  it('refuses a key without the inference scope as PERMISSION_DENIED', async () => {
    const feedbackOnly = await clients.createApiKey(cluster.adminKey(), {
      tenantId,
      scopes: [router.ApiKeyScope.API_KEY_SCOPE_FEEDBACK],
    });
    const error = await eventually(
      async () => {
        const failure = await grpcError(
          clients.complete(feedbackOnly.apiKeySecret, { messages: [userMessage('hi')] }),
        );
        return failure.code === status.PERMISSION_DENIED ? failure : null;
      },
      { what: 'PERMISSION_DENIED for a feedback-only key' },
    );
    expect(error.details).toContain('inference');
  });
});
