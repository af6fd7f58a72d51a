import { evaluation } from '@keel/contracts';
import { QueryDeployment, type TestKey, testKey } from '../queries.fixture';

// Evaluations of one group, hour and evaluator written at once, as the consumer's concurrent
// handlers write them, through the store's write API on the real servers: AggregateEvaluations
// counts every one. FerretDB 1.24 loses concurrent updates of one document, so any per-group
// counter updated at write time would fall short here.

const { GroupKey, TimeBucket } = evaluation;
const TENANT = 'acme';
const WRITES = 200;
const HOUR = new Date('2026-11-30T10:00:00Z');

describe('AggregateEvaluations over evaluations written concurrently', () => {
  let deployment: QueryDeployment;
  let key: TestKey;

  beforeAll(async () => {
    deployment = await QueryDeployment.start();
    key = testKey(TENANT);
    await deployment.publishKeys([key]);
    // Scores 0, 0.25, 0.5, 0.75, fifty each; below 0.5 fails. One label: one group.
    await Promise.all(
      Array.from({ length: WRITES }, (_, i) => {
        const score = (i % 4) / 4;
        return deployment.seed({
          tenantId: TENANT,
          functionName: 'checkout',
          tags: { batch: i % 2 === 0 ? 'even' : 'odd' },
          occurredAt: new Date(HOUR.getTime() + (i % 60) * 60_000),
          verdicts: { 'exact@1': { score, label: 'graded', failed: score < 0.5 } },
        });
      }),
    );
  });

  afterAll(async () => {
    await deployment.stop();
  });

  it('counts all 200 in their one group and hour, with the exact mean, percentiles and failure rate', async () => {
    const { aggregates } = await deployment.aggregate(
      {
        filter: evaluation.EvaluationFilter.fromPartial({ tenantId: TENANT }),
        groupBy: [
          GroupKey.GROUP_KEY_FUNCTION,
          GroupKey.GROUP_KEY_EVALUATOR,
          GroupKey.GROUP_KEY_LABEL,
        ],
        bucket: TimeBucket.TIME_BUCKET_HOUR,
      },
      key.token,
    );
    expect(aggregates).toEqual([
      {
        group: { function: 'checkout', evaluator: 'exact@1', label: 'graded' },
        bucketStart: HOUR,
        count: BigInt(WRITES),
        meanScore: 0.375,
        p50Score: 0.25,
        p95Score: 0.75,
        failureRate: 0.5,
      },
    ]);
  });

  it('counts all 200 when grouped by a tag, half under each value', async () => {
    const { aggregates } = await deployment.aggregate(
      {
        filter: evaluation.EvaluationFilter.fromPartial({ tenantId: TENANT }),
        groupBy: [GroupKey.GROUP_KEY_TAG],
        groupByTag: 'batch',
      },
      key.token,
    );
    expect(
      aggregates.map(({ group, count, meanScore, failureRate }) => ({
        group,
        count,
        meanScore,
        failureRate,
      })),
    ).toEqual([
      // Even writes score 0 and 0.5; odd ones 0.25 and 0.75.
      { group: { 'tag:batch': 'even' }, count: 100n, meanScore: 0.25, failureRate: 0.5 },
      { group: { 'tag:batch': 'odd' }, count: 100n, meanScore: 0.5, failureRate: 0.5 },
    ]);
  });
});
