// The evaluation pipeline on the real servers: each function's evaluators from the policy
// snapshot, their verdicts read back from the store, and what each evaluator did (runs,
// skips, errors, dead letters) read back through GetEvaluatorStats.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { common, durationFromMs, inference } from '@keel/contracts';
import { EVALUATORS } from '@keel/evaluators';
import { InferencePayloads } from '@keel/payloads';
import { eventually, uniqueName } from '@keel/testing';
import { sampled } from '../domain/sampling';
import { DURABLE, Pipeline, completed, policyOf } from '../pipeline.fixture';
import { operatorKey, testKey } from '../queries.fixture';

jest.setTimeout(60_000);

/** Every evaluator but the judge (its plumbing runs end to end in test/e2e), with params. */
const EVERY_EVALUATOR: Array<{ evaluator: string; params: object; label: string }> = [
  { evaluator: 'non_empty@1', params: {}, label: 'non_empty' },
  { evaluator: 'length@1', params: {}, label: 'short' },
  { evaluator: 'length@2', params: { max_words: 3 }, label: 'too_long' },
  { evaluator: 'exact@1', params: { case_sensitive: false }, label: 'mismatch' },
  { evaluator: 'contains@1', params: {}, label: 'contains' },
  { evaluator: 'regex@1', params: { pattern: '\\b42\\b' }, label: 'match' },
  { evaluator: 'json_schema@1', params: { schema: { type: 'object' } }, label: 'not_json' },
  { evaluator: 'numeric_match@1', params: {}, label: 'match' },
  { evaluator: 'refusal@1', params: {}, label: 'answered' },
  { evaluator: 'pii_leak@1', params: {}, label: 'no_pii' },
  { evaluator: 'slo@1', params: {}, label: 'over_latency' },
  { evaluator: 'groundedness@1', params: {}, label: 'grounded' },
].filter(({ evaluator }) => EVALUATORS.has(evaluator));

const configs = (ids: string[], samplingRate = 1) =>
  ids.map((evaluator) => ({ evaluator, samplingRate, paramsJson: '' }));

describe('the evaluation pipeline', () => {
  const tenantId = uniqueName('acme');
  const otherTenantId = uniqueName('globex');
  const key = testKey(tenantId);
  const otherKey = testKey(otherTenantId);
  const operator = operatorKey(uniqueName('operator'));
  let pipeline: Pipeline;

  const event = (functionName: string, fields: Partial<inference.InferenceCompleted> = {}) =>
    completed({ tenantId, functionName, ...fields });

  const statsOf = async (functionName: string) =>
    Object.fromEntries(
      (await pipeline.stats({ functionName }, key.token)).stats.map((s) => [
        s.evaluator,
        { runs: s.runs, skips: s.skips, errors: s.errors, deadLetters: s.deadLetters },
      ]),
    );

  beforeAll(async () => {
    pipeline = await Pipeline.start({
      keys: [key, otherKey, operator],
      policy: policyOf({
        [tenantId]: [
          {
            functionName: 'every.evaluator',
            evaluators: EVERY_EVALUATOR.map(({ evaluator, params }) => ({
              evaluator,
              samplingRate: 0,
              paramsJson: JSON.stringify(params),
            })),
            serviceLevel: { maxLatency: durationFromMs(1_000), maxCostNanoUsd: 0n },
          },
          { functionName: 'needs.reference', evaluators: configs(['numeric_match@1', 'exact@1']) },
          { functionName: 'sampled', evaluators: configs(['non_empty@1'], 0.3) },
          {
            functionName: 'judged',
            evaluators: [
              ...configs(['non_empty@1']),
              {
                evaluator: 'llm_judge@1',
                samplingRate: 1,
                paramsJson: JSON.stringify({ rubric: 'Be right.', judge_function: 'judge' }),
              },
            ],
          },
          { functionName: 'twice', evaluators: configs(['non_empty@1', 'length@1']) },
          { functionName: 'poisoned', evaluators: configs(['non_empty@1', 'length@1']) },
        ],
      }),
    });
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  it('covers every evaluator but the judge', () => {
    const covered = new Set(EVERY_EVALUATOR.map(({ evaluator }) => evaluator));
    expect([...EVALUATORS.keys()].filter((id) => !covered.has(id))).toEqual(['llm_judge@1']);
  });

  it("runs each of a function's evaluators and stores each verdict", async () => {
    const answered = event('every.evaluator', {
      outputText: 'The answer is 42.',
      reference: { answer: '42', context: ['The answer is 42, said the computer.'] },
      guardrails: inference.GuardrailReport.fromPartial({}),
      latency: durationFromMs(2_000),
    });
    await pipeline.settledThrough(await pipeline.publish(answered));

    const stored = await pipeline.evaluationsOf(answered);
    expect(Object.fromEntries(stored.map((doc) => [doc.evaluator, doc.label]))).toEqual(
      Object.fromEntries(EVERY_EVALUATOR.map(({ evaluator, label }) => [evaluator, label])),
    );
    for (const doc of stored) expect(doc.reason).not.toBe('');
    expect(stored.find((doc) => doc.evaluator === 'slo@1')).toMatchObject({
      score: 0.5,
      failed: true,
    });
    expect(Object.values(await pipeline.outcomesOf(answered))).toEqual(
      EVERY_EVALUATOR.map(() => 'run'),
    );
  });

  it('counts an evaluator that does not apply (no reference) as a skip and stores no verdict', async () => {
    const unreferenced = event('needs.reference', { outputText: '42' });
    await pipeline.settledThrough(await pipeline.publish(unreferenced));

    expect(await pipeline.evaluationsOf(unreferenced)).toEqual([]);
    expect(await pipeline.outcomesOf(unreferenced)).toEqual({
      'exact@1': 'skip: no_reference',
      'numeric_match@1': 'skip: no_reference',
    });
    expect(await statsOf('needs.reference')).toEqual({
      'exact@1': { runs: 0n, skips: 1n, errors: 0n, deadLetters: 0n },
      'numeric_match@1': { runs: 0n, skips: 1n, errors: 0n, deadLetters: 0n },
    });
  });

  it('scores the sampled share of inferences and counts the others as skips', async () => {
    const events = Array.from({ length: 30 }, () => event('sampled'));
    let last = 0;
    for (const e of events) last = await pipeline.publish(e);
    await pipeline.settledThrough(last);

    const chosen = events.filter((e) => sampled(e.inferenceId, 'non_empty@1', 0.3));
    expect(chosen.length).toBeGreaterThan(0);
    expect(chosen.length).toBeLessThan(events.length);
    for (const e of events) {
      expect((await pipeline.evaluationsOf(e)).length).toBe(chosen.includes(e) ? 1 : 0);
    }
    expect(await statsOf('sampled')).toEqual({
      'non_empty@1': {
        runs: BigInt(chosen.length),
        skips: BigInt(events.length - chosen.length),
        errors: 0n,
        deadLetters: 0n,
      },
    });
  });

  it('counts an evaluator that throws as an error with its reason, and runs the others', async () => {
    // No judge key is configured for this tenant: the judge can never be called.
    const judged = event('judged');
    await pipeline.settledThrough(await pipeline.publish(judged));

    expect((await pipeline.evaluationsOf(judged)).map((doc) => doc.evaluator)).toEqual([
      'non_empty@1',
    ]);
    expect(await pipeline.outcomesOf(judged)).toEqual({
      'non_empty@1': 'run',
      'llm_judge@1': `error: no judge key for tenant '${tenantId}' in KEEL_JUDGE_KEYS_FILE`,
    });
    expect(await statsOf('judged')).toEqual({
      'llm_judge@1': { runs: 0n, skips: 0n, errors: 1n, deadLetters: 0n },
      'non_empty@1': { runs: 1n, skips: 0n, errors: 0n, deadLetters: 0n },
    });
  });

  it('stores and counts an inference published twice once per evaluator', async () => {
    const repeated = event('twice');
    await pipeline.settledThrough(await pipeline.publish(repeated));
    const first = await pipeline.evaluationsOf(repeated);
    await pipeline.settledThrough(await pipeline.publish(repeated, `${repeated.inferenceId}-2`));

    expect(await pipeline.evaluationsOf(repeated)).toEqual(first);
    expect(first).toHaveLength(2);
    expect(await statsOf('twice')).toEqual({
      'length@1': { runs: 1n, skips: 0n, errors: 0n, deadLetters: 0n },
      'non_empty@1': { runs: 1n, skips: 0n, errors: 0n, deadLetters: 0n },
    });
  });

  it('counts a dead letter for each evaluator of an inference that can never be read', async () => {
    const payloads = await InferencePayloads.open(pipeline.bus);
    const large = event('poisoned', {
      inputMessages: [
        common.ChatMessage.fromPartial({
          role: common.MessageRole.MESSAGE_ROLE_USER,
          content: 'x'.repeat(70_000),
        }),
      ],
    });
    const slim = await payloads.offload(large);
    const tampered = { ...slim, payload: { ...slim.payload!, sha256: '0'.repeat(64) } };
    await pipeline.settledThrough(await pipeline.publish(tampered));

    const letters = await pipeline.bus.deadLetters.list({ durable: DURABLE });
    expect(letters.map((letter) => letter.reason)).toContainEqual(
      expect.stringContaining('does not match its reference'),
    );
    expect(await pipeline.evaluationsOf(large)).toEqual([]);
    expect(await statsOf('poisoned')).toEqual({
      'length@1': { runs: 0n, skips: 0n, errors: 0n, deadLetters: 1n },
      'non_empty@1': { runs: 0n, skips: 0n, errors: 0n, deadLetters: 1n },
    });
  });

  it("shows a tenant only its own evaluators' stats; an operator may name another tenant", async () => {
    await eventually(async () => (await statsOf('twice'))['non_empty@1'] !== undefined, {
      what: 'stats of twice',
    });
    expect((await pipeline.stats({}, otherKey.token)).stats).toEqual([]);
    const asOperator = await pipeline.stats({ tenantId, functionName: 'twice' }, operator.token);
    expect(asOperator.stats.map((s) => s.evaluator)).toEqual(['length@1', 'non_empty@1']);
    await expect(pipeline.stats({ tenantId }, otherKey.token)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
  });
});

describe('the evaluation pipeline when the judge cannot be reached', () => {
  const tenantId = uniqueName('acme');
  const key = testKey(tenantId);
  let pipeline: Pipeline;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keel-judge-keys-'));
    const keysFile = path.join(dir, 'judge-keys.json');
    writeFileSync(keysFile, JSON.stringify({ [tenantId]: 'keel_k1_notchecked' }));
    pipeline = await Pipeline.start({
      keys: [key],
      env: {
        KEEL_JUDGE_KEYS_FILE: keysFile,
        // Nothing listens there: every judge call is UNAVAILABLE.
        KEEL_INFERENCE_ADDRESS: '127.0.0.1:9',
        KEEL_JUDGE_TIMEOUT_MS: '2000',
        KEEL_EVALUATION_MAX_DELIVER: '3',
      },
      policy: policyOf({
        [tenantId]: [
          {
            functionName: 'judged',
            evaluators: [
              { evaluator: 'non_empty@1', samplingRate: 1, paramsJson: '' },
              {
                evaluator: 'llm_judge@1',
                samplingRate: 1,
                paramsJson: JSON.stringify({ rubric: 'Be right.', judge_function: 'judge' }),
              },
            ],
          },
        ],
      }),
    });
  });

  afterAll(async () => {
    await pipeline.stop();
  });

  it('retries the message, then counts a dead letter for the judge alone', async () => {
    const judged = completed({ tenantId, functionName: 'judged' });
    const info = await pipeline.settledThrough(await pipeline.publish(judged), 30_000);

    expect(info.delivered.consumer_seq).toBeGreaterThanOrEqual(3);
    const [letter] = await pipeline.bus.deadLetters.list({ durable: DURABLE });
    expect(letter.reasonKind).toBe('delivery-limit');
    expect(letter.reason).toMatch(/failed on delivery 3 of at most 3: the judge call/);
    expect(await pipeline.outcomesOf(judged)).toEqual({
      'non_empty@1': 'run',
      'llm_judge@1': expect.stringMatching(
        /^dead_letter: the judge call \(function 'judge'\) failed/,
      ),
    });
    const { stats } = await pipeline.stats({ functionName: 'judged' }, key.token);
    expect(stats).toEqual([
      {
        functionName: 'judged',
        evaluator: 'llm_judge@1',
        runs: 0n,
        skips: 0n,
        errors: 0n,
        deadLetters: 1n,
      },
      {
        functionName: 'judged',
        evaluator: 'non_empty@1',
        runs: 1n,
        skips: 0n,
        errors: 0n,
        deadLetters: 0n,
      },
    ]);
  });
});
