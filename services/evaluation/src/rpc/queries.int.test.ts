import { status } from '@grpc/grpc-js';
import { evaluation, type inference, router } from '@keel/contracts';
import { parse } from 'csv-parse/sync';
import { CSV_COLUMNS } from '../domain/export-rows';
import { QueryDeployment, type TestKey, operatorKey, testKey } from '../queries.fixture';
import { CHUNK_BYTES } from './export-evaluations';

// The EvaluationService on the real servers through real gRPC, seeded through the store's
// write API, the one the consumer calls.

const { GroupKey, TimeBucket, ExportFormat } = evaluation;
const T0 = new Date('2026-11-30T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const ACME = 'acme';
const GLOBEX = 'globex';
/** Twenty scores 0.05 … 1.00 of one evaluator, for percentiles. */
const INITECH = 'initech';
/** Enough long rows for an export of several chunks. */
const UMBRELLA = 'umbrella';
const BULK_ROWS = 150;
/** A reason CSV must quote: a comma, a quote and a line break. */
const AWKWARD_REASON = `He said "no", twice,\nthen left. ${'x'.repeat(600)}`;

function refused(code: status, field: string) {
  return expect.objectContaining({ code, details: expect.stringContaining(field) });
}

const filterOf = (filter: Partial<evaluation.EvaluationFilter>) =>
  evaluation.EvaluationFilter.fromPartial(filter);

describe('EvaluationService on the real servers', () => {
  let deployment: QueryDeployment;
  const key: Record<string, TestKey> = {};
  let operator: TestKey;
  let inferenceOnly: TestKey;
  const events = new Map<string, inference.InferenceCompleted>();

  // name, function, variant, model, tags, minutes after T0, last user message, exact@1, tone@1
  const ACME_SEEDS = [
    ['i1', 'checkout', 'a', 'm1', { team: 'red', lang: 'en' }, 10, 'How do I pay?', 0.2, 0.9],
    ['i2', 'checkout', 'a', 'm1', { team: 'blue' }, 20, 'How do I pay?', 0.4, 0.8],
    ['i3', 'checkout', 'b', 'm2', { team: 'red' }, 70, 'Refund please', 1.0, 0.6],
    ['i4', 'search', 'a', 'm1', {}, 25 * 60, 'Find shoes', 0.0, 0.7],
    ['i5', 'checkout', 'b', 'm2', { team: 'red' }, 75, 'Refund please', 0.1, null],
    ['i6', 'search', 'a', 'm1', {}, 26 * 60, 'Refund please', 0.3, null],
  ] as const;

  beforeAll(async () => {
    deployment = await QueryDeployment.start();
    for (const tenant of [ACME, GLOBEX, INITECH, UMBRELLA]) key[tenant] = testKey(tenant);
    operator = operatorKey('keel-ops');
    inferenceOnly = testKey(ACME, [router.ApiKeyScope.API_KEY_SCOPE_INFERENCE]);
    await deployment.publishKeys([...Object.values(key), inferenceOnly, operator]);

    for (const [
      name,
      functionName,
      variantName,
      model,
      tags,
      minutes,
      input,
      exact,
      tone,
    ] of ACME_SEEDS) {
      const verdicts: Record<string, { score: number; label: string }> = {
        'exact@1': { score: exact, label: exact >= 0.5 ? 'right' : 'wrong' },
      };
      if (tone !== null) verdicts['tone@1'] = { score: tone, label: 'ok' };
      const event = await deployment.seed({
        tenantId: ACME,
        inferenceId: `${name}-${deployment.prefix}`,
        functionName,
        variantName,
        model,
        tags,
        occurredAt: at(minutes),
        input,
        output: `answer to ${input}`,
        verdicts,
      });
      events.set(name, event);
    }
    // Another tenant's inference in the same hour, under the same names.
    await deployment.seed({
      tenantId: GLOBEX,
      inferenceId: `g1-${deployment.prefix}`,
      functionName: 'checkout',
      variantName: 'a',
      model: 'm1',
      tags: { team: 'red' },
      occurredAt: at(15),
      input: 'How do I pay?',
      verdicts: { 'exact@1': { score: 0, label: 'wrong' } },
    });
    // Stored out of order, so order cannot fake the percentiles.
    for (const step of [7, 19, 2, 13, 20, 1, 11, 5, 16, 9, 3, 18, 14, 6, 10, 17, 4, 12, 8, 15]) {
      await deployment.seed({
        tenantId: INITECH,
        functionName: 'grading',
        tags: { set: 'all' },
        occurredAt: at(step),
        verdicts: { 'pct@1': { score: step * 0.05 } },
      });
    }
    for (let row = 0; row < BULK_ROWS; row += 1) {
      await deployment.seed({
        tenantId: UMBRELLA,
        functionName: 'bulk',
        occurredAt: at(row),
        verdicts: { 'long@1': { score: 0.5, reason: AWKWARD_REASON } },
      });
    }
  });

  afterAll(async () => {
    await deployment.stop();
  });

  const nameOf = (inferenceId: string) => inferenceId.split('-')[0];
  const acmeList = async (filter: Partial<evaluation.EvaluationFilter>) =>
    (await deployment.list({ filter: filterOf(filter) }, key[ACME].token)).evaluations.map(
      (item) => `${nameOf(item.inferenceId)}:${item.evaluator}`,
    );
  const aggregate = async (
    request: Partial<evaluation.AggregateEvaluationsRequest>,
    token = key[ACME].token,
  ) =>
    (await deployment.aggregate(request, token)).aggregates.map((item) => ({
      group: item.group,
      bucketStart: item.bucketStart?.toISOString(),
      count: Number(item.count),
      mean: round(item.meanScore),
      p50: round(item.p50Score),
      p95: round(item.p95Score),
      failureRate: round(item.failureRate),
    }));
  const round = (value: number) => Math.round(value * 10_000) / 10_000;

  describe('ListEvaluations', () => {
    it('lists the tenant’s evaluations newest first with reason, failure, tags and times', async () => {
      const response = await deployment.list({}, key[ACME].token);
      expect(
        response.evaluations.map((item) => `${nameOf(item.inferenceId)}:${item.evaluator}`),
      ).toEqual([
        'i6:exact@1',
        'i4:tone@1',
        'i4:exact@1',
        'i5:exact@1',
        'i3:tone@1',
        'i3:exact@1',
        'i2:tone@1',
        'i2:exact@1',
        'i1:tone@1',
        'i1:exact@1',
      ]);
      expect(response.nextPageToken).toBe('');
      const i1 = response.evaluations.find(
        (item) => nameOf(item.inferenceId) === 'i1' && item.evaluator === 'exact@1',
      );
      expect(i1).toMatchObject({
        tenantId: ACME,
        functionName: 'checkout',
        variantName: 'a',
        model: 'm1',
        score: 0.2,
        label: 'wrong',
        reason: 'scored 0.2',
        failed: true,
        tags: { team: 'red', lang: 'en' },
        inferenceOccurredAt: at(10),
      });
    });

    it.each([
      ['function_name', { functionName: 'search' }, ['i6:exact@1', 'i4:tone@1', 'i4:exact@1']],
      ['variant_name', { variantName: 'b' }, ['i5:exact@1', 'i3:tone@1', 'i3:exact@1']],
      ['model', { model: 'm2' }, ['i5:exact@1', 'i3:tone@1', 'i3:exact@1']],
      ['evaluator', { evaluator: 'tone@1' }, ['i4:tone@1', 'i3:tone@1', 'i2:tone@1', 'i1:tone@1']],
      ['label', { label: 'right' }, ['i3:exact@1']],
      [
        'one tag',
        { tags: { team: 'red' } },
        ['i5:exact@1', 'i3:tone@1', 'i3:exact@1', 'i1:tone@1', 'i1:exact@1'],
      ],
      ['every tag', { tags: { team: 'red', lang: 'en' } }, ['i1:tone@1', 'i1:exact@1']],
      [
        'from (inclusive) and to (exclusive)',
        { from: at(20), to: at(75) },
        ['i3:tone@1', 'i3:exact@1', 'i2:tone@1', 'i2:exact@1'],
      ],
    ])('narrows by %s', async (_field, filter, expected) => {
      expect(await acmeList(filter)).toEqual(expected);
    });

    it('pages through every evaluation once, in order, with an opaque token', async () => {
      const all = await acmeList({});
      const pages: string[][] = [];
      let pageToken = '';
      do {
        const page = await deployment.list({ pageSize: 3, pageToken }, key[ACME].token);
        pages.push(page.evaluations.map((item) => `${nameOf(item.inferenceId)}:${item.evaluator}`));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 1]);
      expect(pages.flat()).toEqual(all);
    });

    it('refuses a page token with another filter than the one it was issued for', async () => {
      const first = await deployment.list({ pageSize: 2 }, key[ACME].token);
      await expect(
        deployment.list(
          { pageSize: 2, pageToken: first.nextPageToken, filter: filterOf({ model: 'm1' }) },
          key[ACME].token,
        ),
      ).rejects.toEqual(refused(status.INVALID_ARGUMENT, 'page_token'));
    });
  });

  describe('AggregateEvaluations', () => {
    it.each([
      [
        'function',
        GroupKey.GROUP_KEY_FUNCTION,
        [
          {
            group: { function: 'checkout' },
            count: 7,
            mean: 0.5714,
            p50: 0.6,
            p95: 1,
            failureRate: 0.4286,
          },
          {
            group: { function: 'search' },
            count: 3,
            mean: 0.3333,
            p50: 0.3,
            p95: 0.7,
            failureRate: 0.6667,
          },
        ],
      ],
      [
        'variant',
        GroupKey.GROUP_KEY_VARIANT,
        [
          {
            group: { variant: 'a' },
            count: 7,
            mean: 0.4714,
            p50: 0.4,
            p95: 0.9,
            failureRate: 0.5714,
          },
          {
            group: { variant: 'b' },
            count: 3,
            mean: 0.5667,
            p50: 0.6,
            p95: 1,
            failureRate: 0.3333,
          },
        ],
      ],
      [
        'model',
        GroupKey.GROUP_KEY_MODEL,
        [
          {
            group: { model: 'm1' },
            count: 7,
            mean: 0.4714,
            p50: 0.4,
            p95: 0.9,
            failureRate: 0.5714,
          },
          { group: { model: 'm2' }, count: 3, mean: 0.5667, p50: 0.6, p95: 1, failureRate: 0.3333 },
        ],
      ],
      [
        'evaluator',
        GroupKey.GROUP_KEY_EVALUATOR,
        [
          {
            group: { evaluator: 'exact@1' },
            count: 6,
            mean: 0.3333,
            p50: 0.2,
            p95: 1,
            failureRate: 0.8333,
          },
          {
            group: { evaluator: 'tone@1' },
            count: 4,
            mean: 0.75,
            p50: 0.7,
            p95: 0.9,
            failureRate: 0,
          },
        ],
      ],
      [
        'label',
        GroupKey.GROUP_KEY_LABEL,
        [
          { group: { label: 'ok' }, count: 4, mean: 0.75, p50: 0.7, p95: 0.9, failureRate: 0 },
          { group: { label: 'right' }, count: 1, mean: 1, p50: 1, p95: 1, failureRate: 0 },
          { group: { label: 'wrong' }, count: 5, mean: 0.2, p50: 0.2, p95: 0.4, failureRate: 1 },
        ],
      ],
    ])('groups by %s', async (_key, groupKey, expected) => {
      const aggregates = await aggregate({ groupBy: [groupKey] });
      expect(aggregates).toEqual(expected.map((item) => ({ ...item, bucketStart: undefined })));
    });

    it('groups by the value of a tag, with inferences lacking it under ""', async () => {
      const aggregates = await aggregate({
        groupBy: [GroupKey.GROUP_KEY_TAG],
        groupByTag: 'team',
      });
      expect(
        aggregates.map(({ group, count, failureRate }) => ({ group, count, failureRate })),
      ).toEqual([
        { group: { 'tag:team': '' }, count: 3, failureRate: 0.6667 },
        { group: { 'tag:team': 'blue' }, count: 2, failureRate: 0.5 },
        { group: { 'tag:team': 'red' }, count: 5, failureRate: 0.4 },
      ]);
    });

    it('groups by several keys in their order', async () => {
      const aggregates = await aggregate({
        groupBy: [GroupKey.GROUP_KEY_FUNCTION, GroupKey.GROUP_KEY_EVALUATOR],
        filter: filterOf({ functionName: 'search' }),
      });
      expect(aggregates.map(({ group, count }) => ({ group, count }))).toEqual([
        { group: { function: 'search', evaluator: 'exact@1' }, count: 2 },
        { group: { function: 'search', evaluator: 'tone@1' }, count: 1 },
      ]);
    });

    it('buckets by hour', async () => {
      const aggregates = await aggregate({
        bucket: TimeBucket.TIME_BUCKET_HOUR,
        filter: filterOf({ functionName: 'checkout' }),
      });
      expect(
        aggregates.map(({ bucketStart, count, failureRate }) => ({
          bucketStart,
          count,
          failureRate,
        })),
      ).toEqual([
        { bucketStart: '2026-11-30T10:00:00.000Z', count: 4, failureRate: 0.5 },
        { bucketStart: '2026-11-30T11:00:00.000Z', count: 3, failureRate: 0.3333 },
      ]);
    });

    it('buckets by day', async () => {
      const aggregates = await aggregate({ bucket: TimeBucket.TIME_BUCKET_DAY });
      expect(aggregates.map(({ bucketStart, count }) => ({ bucketStart, count }))).toEqual([
        { bucketStart: '2026-11-30T00:00:00.000Z', count: 7 },
        { bucketStart: '2026-12-01T00:00:00.000Z', count: 3 },
      ]);
    });

    it('computes mean, nearest-rank p50 and p95 and the failure rate from known scores', async () => {
      const expected = [
        { group: {}, count: 20, mean: 0.525, p50: 0.5, p95: 0.95, failureRate: 0.45 },
      ];
      // The same with a tag filter every evaluation matches.
      for (const filter of [{}, { tags: { set: 'all' } }]) {
        expect(await aggregate({ filter: filterOf(filter) }, key[INITECH].token)).toEqual(
          expected.map((item) => ({ ...item, bucketStart: undefined })),
        );
      }
    });

    it('narrows the aggregate by a time range', async () => {
      const aggregates = await aggregate({ filter: filterOf({ from: at(60), to: at(120) }) });
      expect(aggregates.map(({ count }) => count)).toEqual([3]);
    });
  });

  describe('WorstInferences', () => {
    it('returns the lowest-scored inferences with their input, output and every evaluation', async () => {
      const { inferences } = await deployment.worst({ limit: 2 }, key[ACME].token);
      expect(inferences.map((item) => [nameOf(item.inferenceId), item.worstScore])).toEqual([
        ['i4', 0],
        ['i5', 0.1],
      ]);
      const [i4] = inferences;
      expect(i4).toMatchObject({
        functionName: 'search',
        variantName: 'a',
        model: 'm1',
        outputText: 'answer to Find shoes',
        occurredAt: at(25 * 60),
      });
      expect(i4.inputMessages.map((message) => message.content)).toEqual([
        'You help shoppers.',
        'Find shoes',
      ]);
      expect(i4.evaluations.map((item) => [item.evaluator, item.score])).toEqual([
        ['exact@1', 0],
        ['tone@1', 0.7],
      ]);
    });

    it('ranks by the scores matching the filter and still returns every evaluation', async () => {
      const { inferences } = await deployment.worst(
        { limit: 1, filter: filterOf({ evaluator: 'tone@1' }) },
        key[ACME].token,
      );
      expect(inferences.map((item) => [nameOf(item.inferenceId), item.worstScore])).toEqual([
        ['i3', 0.6],
      ]);
      expect(inferences[0].evaluations.map((item) => item.evaluator)).toEqual([
        'exact@1',
        'tone@1',
      ]);
    });
  });

  describe('AnalyzeFailures', () => {
    it('counts failures by evaluator and label and by function and variant', async () => {
      const response = await deployment.failures({}, key[ACME].token);
      const counts = (groups: evaluation.FailureCount[]) =>
        groups.map(({ group, failures, total }) => ({
          group,
          failures: Number(failures),
          total: Number(total),
        }));
      expect(counts(response.byLabel)).toEqual([
        { group: { evaluator: 'exact@1', label: 'wrong' }, failures: 5, total: 5 },
      ]);
      expect(counts(response.byVariant)).toEqual([
        { group: { function: 'checkout', variant: 'a' }, failures: 2, total: 4 },
        { group: { function: 'search', variant: 'a' }, failures: 2, total: 3 },
        { group: { function: 'checkout', variant: 'b' }, failures: 1, total: 3 },
      ]);
    });

    it('lists the inputs that failed more than once, most frequent first', async () => {
      const id = (name: string) => `${name}-${deployment.prefix}`;
      const all = await deployment.failures({}, key[ACME].token);
      expect(
        all.topFailingInputs.map(({ input, failures, inferenceIds }) => ({
          input,
          failures: Number(failures),
          inferenceIds,
        })),
      ).toEqual([
        { input: 'How do I pay?', failures: 2, inferenceIds: [id('i1'), id('i2')] },
        { input: 'Refund please', failures: 2, inferenceIds: [id('i5'), id('i6')] },
      ]);
      const top = await deployment.failures({ topInputs: 1 }, key[ACME].token);
      expect(top.topFailingInputs.map(({ input }) => input)).toEqual(['How do I pay?']);
    });
  });

  describe('ExportEvaluations', () => {
    it('exports JSONL that parses back to the listed evaluations', async () => {
      const chunks = await deployment.exportChunks(
        { format: ExportFormat.EXPORT_FORMAT_JSONL },
        key[ACME].token,
      );
      const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
      const exported = lines.map((line) => evaluation.Evaluation.fromJSON(JSON.parse(line)));
      const { evaluations } = await deployment.list({}, key[ACME].token);
      expect(exported).toEqual(evaluations);
    });

    it('exports CSV with a header, quoting what needs it, in chunks of at most 64 KB', async () => {
      const chunks = await deployment.exportChunks(
        { format: ExportFormat.EXPORT_FORMAT_CSV },
        key[UMBRELLA].token,
      );
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(CHUNK_BYTES);
      const rows: string[][] = parse(Buffer.concat(chunks).toString('utf8'));
      expect(rows[0]).toEqual([...CSV_COLUMNS]);
      expect(rows).toHaveLength(BULK_ROWS + 1);
      const records = rows
        .slice(1)
        .map((row) => Object.fromEntries(CSV_COLUMNS.map((name, i) => [name, row[i]])));
      expect(new Set(records.map((record) => record.reason))).toEqual(new Set([AWKWARD_REASON]));
      expect(records[0]).toMatchObject({
        tenant_id: UMBRELLA,
        function_name: 'bulk',
        score: '0.5',
        failed: 'false',
      });
    });

    it('exports tags in CSV as a JSON object', async () => {
      const chunks = await deployment.exportChunks(
        { format: ExportFormat.EXPORT_FORMAT_CSV, filter: filterOf({ tags: { lang: 'en' } }) },
        key[ACME].token,
      );
      const [, ...records] = parse(Buffer.concat(chunks).toString('utf8'), {
        columns: false,
      }) as string[][];
      const tags = records.map((row) => JSON.parse(row[CSV_COLUMNS.indexOf('tags')]));
      expect(tags).toEqual([
        { team: 'red', lang: 'en' },
        { team: 'red', lang: 'en' },
      ]);
    });
  });

  describe('tenant walls', () => {
    const acmeFilter = filterOf({ tenantId: ACME });

    it('shows another tenant’s key nothing of the first tenant', async () => {
      const token = key[GLOBEX].token;
      const list = await deployment.list({}, token);
      expect(list.evaluations.map((item) => item.tenantId)).toEqual([GLOBEX]);
      expect((await aggregate({}, token)).map(({ count }) => count)).toEqual([1]);
      const worst = await deployment.worst({}, token);
      expect(worst.inferences.map((item) => nameOf(item.inferenceId))).toEqual(['g1']);
      const failures = await deployment.failures({}, token);
      expect(failures.byVariant.map(({ total }) => Number(total))).toEqual([1]);
      expect(failures.topFailingInputs).toEqual([]);
      const exported = await deployment.exportChunks(
        { format: ExportFormat.EXPORT_FORMAT_JSONL },
        token,
      );
      const lines = Buffer.concat(exported).toString('utf8').trimEnd().split('\n');
      expect(lines.map((line) => JSON.parse(line).tenantId)).toEqual([GLOBEX]);
    });

    it.each([
      ['ListEvaluations', () => deployment.list({ filter: acmeFilter }, key[GLOBEX].token)],
      [
        'AggregateEvaluations',
        () => deployment.aggregate({ filter: acmeFilter }, key[GLOBEX].token),
      ],
      ['WorstInferences', () => deployment.worst({ filter: acmeFilter }, key[GLOBEX].token)],
      ['AnalyzeFailures', () => deployment.failures({ filter: acmeFilter }, key[GLOBEX].token)],
      [
        'ExportEvaluations',
        () =>
          deployment.exportChunks(
            { filter: acmeFilter, format: ExportFormat.EXPORT_FORMAT_JSONL },
            key[GLOBEX].token,
          ),
      ],
    ])('refuses %s naming another tenant without operator power', async (_rpc, call) => {
      await expect(call()).rejects.toEqual(refused(status.PERMISSION_DENIED, `tenant '${ACME}'`));
    });

    it('lets an operator key with the admin scope read a tenant it names', async () => {
      const operatorView = await deployment.list({ filter: acmeFilter }, operator.token);
      const own = await deployment.list({}, key[ACME].token);
      expect(operatorView.evaluations).toEqual(own.evaluations);
    });

    it('refuses a key without the analytics scope', async () => {
      await expect(deployment.list({}, inferenceOnly.token)).rejects.toEqual(
        refused(status.PERMISSION_DENIED, 'analytics'),
      );
    });
  });

  describe('bad requests', () => {
    const token = () => key[ACME].token;
    it.each([
      ['page_size', () => deployment.list({ pageSize: 1001 }, token())],
      ['page_size', () => deployment.list({ pageSize: -1 }, token())],
      ['page_token', () => deployment.list({ pageToken: 'not-a-token' }, token())],
      [
        'filter.to',
        () => deployment.list({ filter: filterOf({ from: at(5), to: at(5) }) }, token()),
      ],
      [
        'filter.to',
        () => deployment.aggregate({ filter: filterOf({ from: at(9), to: at(5) }) }, token()),
      ],
      ['group_by_tag', () => deployment.aggregate({ groupBy: [GroupKey.GROUP_KEY_TAG] }, token())],
      ['group_by_tag', () => deployment.aggregate({ groupByTag: 'team' }, token())],
      [
        'group_by[1]',
        () =>
          deployment.aggregate(
            { groupBy: [GroupKey.GROUP_KEY_MODEL, GroupKey.GROUP_KEY_MODEL] },
            token(),
          ),
      ],
      [
        'group_by[0]',
        () => deployment.aggregate({ groupBy: [GroupKey.GROUP_KEY_UNSPECIFIED] }, token()),
      ],
      ['limit', () => deployment.worst({ limit: 101 }, token())],
      ['top_inputs', () => deployment.failures({ topInputs: 101 }, token())],
      ['format', () => deployment.exportChunks({}, token())],
    ])('refuses a bad %s with INVALID_ARGUMENT', async (field, call) => {
      await expect(call()).rejects.toEqual(refused(status.INVALID_ARGUMENT, field));
    });
  });

  it('counts each evaluation once when it is recorded again', async () => {
    const event = events.get('i1');
    if (!event) throw new Error('i1 was not seeded');
    const before = await aggregate({ filter: filterOf({ functionName: 'checkout' }) });
    // The same inference and evaluators again, as a redelivered event would record them.
    await deployment.seed({
      tenantId: ACME,
      inferenceId: event.inferenceId,
      functionName: 'checkout',
      variantName: 'a',
      model: 'm1',
      occurredAt: at(10),
      verdicts: { 'exact@1': { score: 0.2 }, 'tone@1': { score: 0.9 } },
    });
    expect(await aggregate({ filter: filterOf({ functionName: 'checkout' }) })).toEqual(before);
    expect(before.map(({ count }) => count)).toEqual([7]);
  });
});
