// What a write of an evaluation costs and what AggregateEvaluations costs over the evaluations
// (all of them, a tag filter, a tag grouping), on the MongoDB-wire server at MONGO_URL, checking
// that every aggregate counts every evaluation. In-process: no gRPC hop.
//   npm run bench:evaluation-queries [-- --evaluations 5000]
import { parseArgs } from 'node:util';
import { evaluation, inference } from '@keel/contracts';
import { connectStore } from '../../libs/store/src';
import { randomBytes } from 'node:crypto';
import { aggregateEvaluationsRpc } from '../../services/evaluation/src/rpc/aggregate-evaluations';
import {
  evaluationDocumentOf,
  recordEvaluation,
} from '../../services/evaluation/src/store/evaluations';
import { evaluationIndexes } from '../../services/evaluation/src/store/indexes';

const { values } = parseArgs({
  options: { evaluations: { type: 'string', default: '5000' } },
});
const total = Number(values.evaluations);
const T0 = Date.UTC(2026, 10, 30);
const FUNCTIONS = ['checkout', 'search', 'support', 'billing'];
const EVALUATORS = ['exact@1', 'non_empty@1', 'groundedness@1'];

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  console.log(`${what}: ${(performance.now() - start).toFixed(0)} ms`);
  return result;
}

async function main(): Promise<void> {
  const store = await connectStore({
    url: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
    dbPrefix: `bench${randomBytes(3).toString('hex')}`,
    service: 'evaluation',
  });
  try {
    await store.ensureIndexes(evaluationIndexes);
    const docs = Array.from({ length: total }, (_, i) => {
      const event = inference.InferenceCompleted.fromPartial({
        tenantId: 'acme',
        inferenceId: `inf-${Math.floor(i / EVALUATORS.length)}`,
        functionName: FUNCTIONS[i % FUNCTIONS.length],
        variantName: i % 2 ? 'a' : 'b',
        model: 'sim-small',
        tags: { team: i % 3 ? 'red' : 'blue' },
        // Two days of traffic.
        occurredAt: new Date(T0 + ((i * 7919) % (48 * 3_600_000))),
      });
      const score = ((i * 37) % 1001) / 1000;
      return evaluationDocumentOf(
        event,
        EVALUATORS[i % EVALUATORS.length],
        { score, label: score < 0.5 ? 'fail' : 'pass', reason: 'bench', failed: score < 0.5 },
        new Date(T0),
      );
    });
    // One at a time, to time a single write.
    const start = performance.now();
    for (const doc of docs) await recordEvaluation(store, doc);
    const elapsed = performance.now() - start;
    console.log(
      `record ${total} evaluations: ${elapsed.toFixed(0)} ms ` +
        `(${(elapsed / total).toFixed(2)} ms each)`,
    );

    const principal = { tenantId: 'acme', keyId: 'bench', scopes: [], operator: false };
    const request = (
      filter: Partial<evaluation.EvaluationFilter>,
      byTag = false,
    ): evaluation.AggregateEvaluationsRequest =>
      evaluation.AggregateEvaluationsRequest.fromPartial({
        filter,
        groupBy: byTag
          ? [evaluation.GroupKey.GROUP_KEY_TAG]
          : [evaluation.GroupKey.GROUP_KEY_FUNCTION, evaluation.GroupKey.GROUP_KEY_EVALUATOR],
        groupByTag: byTag ? 'team' : '',
        bucket: evaluation.TimeBucket.TIME_BUCKET_DAY,
      });
    const counted = (response: evaluation.AggregateEvaluationsResponse) =>
      response.aggregates.reduce((sum, item) => sum + Number(item.count), 0);
    for (let run = 1; run <= 3; run += 1) {
      const all = await timed(`run ${run}: aggregate ${total} evaluations by function, day`, () =>
        aggregateEvaluationsRpc({ store }, principal, request({})),
      );
      const red = await timed(`run ${run}: aggregate with a tag filter (team=red)`, () =>
        aggregateEvaluationsRpc({ store }, principal, request({ tags: { team: 'red' } })),
      );
      const byTag = await timed(`run ${run}: aggregate grouped by tag`, () =>
        aggregateEvaluationsRpc({ store }, principal, request({}, true)),
      );
      const redExpected = docs.filter((doc) => doc.tags.includes('["team","red"]')).length;
      if (counted(all) !== total || counted(byTag) !== total || counted(red) !== redExpected) {
        throw new Error(
          `aggregates counted ${counted(all)}, ${counted(byTag)} and ${counted(red)} ` +
            `of ${total}, ${total} and ${redExpected}`,
        );
      }
    }
  } finally {
    await store.db.dropDatabase();
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
