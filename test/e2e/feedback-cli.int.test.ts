// Feedback end to end, every service a real process: an answer from inference, feedback on it
// with `keel feedback` (the feedback service learning the inference's owner from the bus), and
// `keel evals inference` showing the evaluations beside that feedback.
import { router } from '@keel/contracts';
import { eventually, uniqueName } from '@keel/testing';
import { type CliResult, runCli } from '../support/cli';
import { clientsOf, userMessage, type Clients } from '../support/clients';
import { startCluster, type Cluster } from '../support/cluster';

jest.setTimeout(180_000);

const { API_KEY_SCOPE_FEEDBACK: FEEDBACK, API_KEY_SCOPE_ANALYTICS: ANALYTICS } = router.ApiKeyScope;

describe('keel feedback and keel evals inference', () => {
  let cluster: Cluster;
  let clients: Clients;
  let inferenceId: string;
  let feedbackEnv: NodeJS.ProcessEnv;
  let analyticsEnv: NodeJS.ProcessEnv;
  let otherTenantEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startCluster(['router', 'inference', 'evaluation', 'feedback']);
    clients = clientsOf(cluster.address('router'), cluster.address('inference'));
    const admin = cluster.adminKey();
    const acme = await clients.createTenant(admin, uniqueName('acme'));
    const tenantId = acme.tenant!.tenantId;
    const keyWith = async (tenant: string, scope: router.ApiKeyScope) =>
      (await clients.createApiKey(admin, { tenantId: tenant, scopes: [scope] })).apiKeySecret;
    const globex = await clients.createTenant(admin, uniqueName('globex'));
    const addresses = {
      KEEL_FEEDBACK_ADDR: cluster.address('feedback'),
      KEEL_EVALUATION_ADDR: cluster.address('evaluation'),
    };
    feedbackEnv = { ...addresses, KEEL_API_KEY: await keyWith(tenantId, FEEDBACK) };
    analyticsEnv = { ...addresses, KEEL_API_KEY: await keyWith(tenantId, ANALYTICS) };
    otherTenantEnv = {
      ...addresses,
      KEEL_API_KEY: await keyWith(globex.tenant!.tenantId, FEEDBACK),
    };

    // The new tenant's key reaches inference through the keys snapshot shortly after creation.
    const reply = await eventually(
      () =>
        clients.complete(acme.apiKeySecret, {
          messages: [userMessage('When does my order ship?')],
        }),
      { what: 'Complete with the new key' },
    );
    inferenceId = reply.inferenceId;
  });

  afterAll(async () => {
    clients?.close();
    await cluster?.shutdown();
  });

  /** Runs the CLI until it succeeds: the services learn of a new inference a moment after it. */
  const succeeds = (args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> =>
    eventually(
      async () => {
        const result = await runCli(args, env);
        return result.code === 0 && result;
      },
      { what: `keel ${args.join(' ')} to succeed`, timeoutMs: 30_000 },
    );

  it('takes feedback on the inference once, and refuses another tenant’s key', async () => {
    const args = ['feedback', inferenceId, '--thumbs-down', '--idempotency-key', 'cli-1'];
    const first = await succeeds(args, feedbackEnv);
    expect(first.stdout).toMatch(
      new RegExp(`^feedback \\S+ on inference ${inferenceId} \\(\\S+/\\S+\\)\\n  thumbs down\\n`),
    );

    const repeat = await runCli(args, feedbackEnv);
    expect(repeat).toMatchObject({ code: 0, stderr: '' });
    expect(repeat.stdout).toContain('idempotency key: cli-1 (already stored: nothing new)');
    expect(repeat.stdout.split('\n')[0]).toBe(first.stdout.split('\n')[0]);

    const stored = await cluster
      .db('feedback')
      .collection('feedback')
      .countDocuments({ inference_id: inferenceId });
    expect(stored).toBe(1);

    const refused = await runCli(
      ['feedback', inferenceId, '--rating', '1', '--idempotency-key', 'cli-2'],
      otherTenantEnv,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`keel: inference '${inferenceId}' not found`);
  });

  it('shows the evaluations beside the feedback', async () => {
    await succeeds(
      ['feedback', inferenceId, '--comment', 'Too vague', '--idempotency-key', 'cli-3'],
      feedbackEnv,
    );

    const shown = await eventually(
      async () => {
        const result = await runCli(['evals', 'inference', inferenceId], analyticsEnv);
        return result.code === 0 && result.stdout.includes('comment: Too vague') && result;
      },
      { what: 'the inference with its feedback', timeoutMs: 30_000 },
    );

    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${inferenceId}  \\S+/\\S+ on sim-small  `));
    expect(lines[1]).toBe('  input:  When does my order ship?');
    const evaluationsAt = lines.indexOf('evaluations:');
    const feedbackAt = lines.indexOf('feedback:');
    expect(lines.slice(evaluationsAt + 1, feedbackAt)).toContainEqual(
      expect.stringMatching(/^ {2}non_empty@1: 1\.000 /),
    );
    expect(lines.slice(feedbackAt + 1).map((line) => line.replace(/^ {2}\S+ {2}/, ''))).toEqual([
      'thumbs down',
      'comment: Too vague',
    ]);
  });
});
