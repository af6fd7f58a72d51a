// An event billing cannot handle yet (it names a catalog version not published) ends in the
// dead-letter stream with its reason once its deliveries run out; once the version is
// published, `keel deadletter replay` run as a process brings it back, and it is billed once.
import { connectBus, type Bus } from '@keel/bus';
import { durableNameOf, events, inference, router, streamOf } from '@keel/contracts';
import { CURRENT_CATALOG_KEY, catalogVersionKey, openSnapshotBuckets } from '@keel/snapshots';
import { eventually, uniqueName } from '@keel/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { runCli } from '../support/cli';
import { startCluster, type Cluster } from '../support/cluster';

jest.setTimeout(180_000);

const MAX_DELIVER = 3;
const durable = durableNameOf('billing', events.inferenceCompleted);

describe('dead letters', () => {
  let cluster: Cluster;
  let bus: Bus;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startCluster(['router']);
    await cluster.start('billing', { KEEL_BILLING_MAX_DELIVER: String(MAX_DELIVER) });
    bus = await connectBus({
      servers: process.env.NATS_URL!,
      name: 'dead-letters-test',
      prefix: cluster.prefix,
      logger: pino({ level: 'silent' }),
    });
    cliEnv = { NATS_URL: process.env.NATS_URL, KEEL_BUS_PREFIX: cluster.prefix };
  });

  afterAll(async () => {
    await bus?.drain();
    await cluster?.shutdown();
  });

  it('dead-letters an event naming an unpublished catalog version, and bills it once after the fix and a CLI replay', async () => {
    const { catalog } = await openSnapshotBuckets(bus);
    const currentEntry = await eventually(() => catalog.get(CURRENT_CATALOG_KEY), {
      what: 'the router to publish its catalog',
    });
    const current = BigInt(new TextDecoder().decode(currentEntry.value));
    const next = current + 1n;
    const event = inference.InferenceCompleted.fromPartial({
      inferenceId: uniqueName('inference'),
      tenantId: uniqueName('tenant'),
      functionName: 'default',
      variantName: 'default',
      model: 'sim-small',
      attempts: [
        { model: 'sim-small', provider: 'sim', usage: { inputTokens: 11n, outputTokens: 44n } },
      ],
      usage: { inputTokens: 11n, outputTokens: 44n },
      catalogVersion: next,
      status: inference.InferenceStatus.INFERENCE_STATUS_OK,
      occurredAt: new Date(),
    });

    const { seq } = await bus.publish(events.inferenceCompleted, event, {
      msgId: event.inferenceId,
    });
    const [letter] = await eventually(
      async () => {
        const letters = await bus.deadLetters.list({ durable });
        return letters.length > 0 && letters;
      },
      { timeoutMs: 30_000, what: 'the dead letter' },
    );
    const listed = await runCli(['deadletter', 'list', '--durable', durable], cliEnv);
    const ledger = cluster.db('billing').collection('ledger');
    const billed = () => ledger.countDocuments({ inference_id: event.inferenceId });

    expect(letter).toMatchObject({
      durable,
      streamSeq: seq,
      msgId: event.inferenceId,
      deliveryCount: MAX_DELIVER,
      reasonKind: 'delivery-limit',
      reason: `failed on delivery ${MAX_DELIVER} of at most ${MAX_DELIVER}: catalog version ${next} is not published yet`,
    });
    expect(listed.code).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.includes(event.inferenceId));
    expect(row?.split(/\s+/).slice(0, 5)).toEqual([
      String(letter.seq),
      durable,
      `${cluster.prefix}.inference.completed`,
      event.inferenceId,
      String(MAX_DELIVER),
    ]);
    expect(row).toContain(`delivery-limit: ${letter.reason}`);
    expect(await billed()).toBe(0);

    // The fix: publish the catalog version the event names, as the router does.
    const models = router.ModelCatalog.decode(
      (await catalog.get(catalogVersionKey(current)))!.value,
    );
    await catalog.create(
      catalogVersionKey(next),
      router.ModelCatalog.encode({ ...models, version: next }).finish(),
    );
    await catalog.update(
      CURRENT_CATALOG_KEY,
      new TextEncoder().encode(next.toString()),
      currentEntry.revision,
    );

    const replayed = await runCli(['deadletter', 'replay', String(letter.seq)], cliEnv);
    expect(replayed).toMatchObject({ code: 0, stderr: '' });
    expect(replayed.stdout).toContain(`replayed dead letter ${letter.seq}`);
    await eventually(async () => (await billed()) === 1, {
      timeoutMs: 30_000,
      what: 'the replayed event billed',
    });

    const again = await runCli(['deadletter', 'replay', String(letter.seq)], cliEnv);
    const all = await runCli(['deadletter', 'replay', '--all', '--durable', durable], cliEnv);
    const jsm = await jetstreamManager(bus.connection);
    const info = await eventually(
      async () => {
        const state = await jsm.consumers.info(streamOf('inference', cluster.prefix).name, durable);
        return state.num_pending === 0 && state.num_ack_pending === 0 && state;
      },
      { what: 'billing caught up' },
    );

    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no dead letter ${letter.seq}`);
    expect(all).toMatchObject({ code: 0, stdout: 'replayed 0 dead letter(s)\n' });
    expect(info.ack_floor.stream_seq).toBe(seq + 1);
    expect(await bus.deadLetters.list()).toEqual([]);
    const documents = await ledger.find({ inference_id: event.inferenceId }).toArray();
    expect(documents).toHaveLength(1);
    expect(documents[0].catalog_version).toBe(next);
    expect(documents[0].total_nano_usd).toBeGreaterThan(0n);
  });
});
