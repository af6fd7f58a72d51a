import { status } from '@grpc/grpc-js';
import { router } from '@keel/contracts';
import { SnapshotReader, startTestRouter, type TestRouter } from './router.fixture';

const { API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE } = router.ApiKeyScope;

const evaluators: router.EvaluatorConfig[] = [
  { evaluator: 'numeric_match@1', samplingRate: 1, paramsJson: '{"tolerance":0.01}' },
  { evaluator: 'regex@1', samplingRate: 0.25, paramsJson: '{"pattern":"^Order \\\\d+"}' },
  { evaluator: 'non_empty@1', samplingRate: 0, paramsJson: '' },
];
// Above 2^32 nano-USD, so an int64 that lost precision on its way through the store would show.
const serviceLevel: router.ServiceLevel = {
  maxLatency: { seconds: 2n, nanos: 500_000_000 },
  maxCostNanoUsd: 5_000_000_000n,
};

describe('function evaluators and service level', () => {
  let r: TestRouter;
  let reader: SnapshotReader;
  let tenantId: string;
  let admin: string;

  beforeAll(async () => {
    r = await startTestRouter();
    reader = await SnapshotReader.open(r.prefix);
    const acme = await r.client.createTenant(r.operatorToken, {
      name: 'Acme',
      keyScopes: [API_KEY_SCOPE_ADMIN, API_KEY_SCOPE_INFERENCE],
    });
    tenantId = acme.tenant!.tenantId;
    admin = acme.apiKeySecret;
  });

  afterAll(async () => {
    await reader.close();
    await r.stop();
  });

  const base: Partial<router.PutFunctionRequest> = {
    functionName: 'support.answer',
    variants: [{ variantName: 'v', modelChain: ['sim-small'], defaultMaxTokens: 0 }],
  };

  async function published(functionName: string): Promise<router.KeelFunction | undefined> {
    const tenant = (await reader.policy()).snapshot.tenants.find((t) => t.tenantId === tenantId);
    return tenant?.functions.find((f) => f.functionName === functionName);
  }

  it('stores evaluators and service level and publishes them with the function', async () => {
    const put = await r.client.putFunction(admin, { ...base, evaluators, serviceLevel });
    expect(put.function).toMatchObject({ evaluators, serviceLevel });

    const fn = await published('support.answer');
    expect(fn?.evaluators).toEqual(evaluators);
    expect(fn?.serviceLevel).toEqual(serviceLevel);
  });

  it('publishes a function without them as none and unset', async () => {
    await r.client.putFunction(admin, { ...base, functionName: 'plain' });
    const fn = await published('plain');
    expect(fn?.evaluators).toEqual([]);
    expect(fn?.serviceLevel).toBeUndefined();
  });

  it('refuses each invalid evaluator or service level, naming the field', async () => {
    const ok = { evaluator: 'length@1', samplingRate: 1, paramsJson: '' };
    const cases: Array<[Partial<router.PutFunctionRequest>, RegExp]> = [
      [
        { evaluators: [ok, { ...ok, evaluator: 'telepathy@1' }] },
        /evaluators\[1\]\.evaluator: 'telepathy@1' is not a known evaluator; known: .*numeric_match@1/,
      ],
      [
        { evaluators: [ok, { ...ok, samplingRate: 0.5 }] },
        /evaluators\[1\]\.evaluator: 'length@1' is already evaluators\[0\]/,
      ],
      [
        { evaluators: [{ ...ok, samplingRate: 1.5 }] },
        /evaluators\[0\]\.sampling_rate: 1.5 is out of range; must be from 0 to 1/,
      ],
      [{ evaluators: [{ ...ok, samplingRate: -0.1 }] }, /evaluators\[0\]\.sampling_rate: /],
      [{ evaluators: [{ ...ok, samplingRate: Number.NaN }] }, /evaluators\[0\]\.sampling_rate: /],
      [
        {
          evaluators: [
            ok,
            { evaluator: 'non_empty@1', samplingRate: 1, paramsJson: '' },
            { evaluator: 'regex@1', samplingRate: 1, paramsJson: '{}' },
          ],
        },
        /evaluators\[2\]\.params_json\.pattern: /,
      ],
      [
        { evaluators: [{ evaluator: 'regex@1', samplingRate: 1, paramsJson: '{"pattern":' }] },
        /evaluators\[0\]\.params_json: is not JSON/,
      ],
      [
        { evaluators: [{ evaluator: 'length@1', samplingRate: 1, paramsJson: '{"extra":1}' }] },
        /evaluators\[0\]\.params_json\.extra: /,
      ],
      [
        { serviceLevel: { maxLatency: undefined, maxCostNanoUsd: -1n } },
        /service_level\.max_cost_nano_usd: -1 is negative/,
      ],
      [
        { serviceLevel: { maxLatency: { seconds: -1n, nanos: 0 }, maxCostNanoUsd: 0n } },
        /service_level\.max_latency\.seconds: /,
      ],
      [
        { serviceLevel: { maxLatency: { seconds: 0n, nanos: 1_000_000_000 }, maxCostNanoUsd: 0n } },
        /service_level\.max_latency\.nanos: must be from 0 to 999999999/,
      ],
    ];
    for (const [change, message] of cases) {
      const call = r.client.putFunction(admin, { ...base, functionName: 'refused', ...change });
      await expect(call).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(call).rejects.toThrow(message);
    }
    expect(await published('refused')).toBeUndefined();
  });
});
