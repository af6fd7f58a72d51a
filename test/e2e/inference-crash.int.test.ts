// No answered inference goes unrecorded: 20 clients send Complete requests while inference is
// SIGKILLed (with JetStream healthy, or just after JetStream was frozen for 2 s), or gets SIGINT
// and SIGTERM a few ms apart; every inference id a client received ends up in billing's ledger.
import { startNatsServer, eventually, type NatsServer } from '@keel/testing';
import { startCluster, type Cluster } from '../support/cluster';
import { clientsOf, userMessage, type Clients } from '../support/clients';

jest.setTimeout(300_000);

const CLIENTS = 20;
/** Loads still running: stopped after each test, even one that failed. */
const loads = new Set<{ stop(): Promise<void> }>();
const stopLoads = () => Promise.all([...loads].map((load) => load.stop()));

/** 20 clients, each sending one request after another until stopped. */
function startLoad(cluster: Cluster, key: string) {
  const answered: string[] = [];
  let failed = 0;
  let running = true;
  let sent = 0;
  const clients: Clients[] = Array.from({ length: CLIENTS }, () =>
    clientsOf(cluster.address('router'), cluster.address('inference')),
  );
  const loops = clients.map(async (client) => {
    while (running) {
      try {
        const reply = await client.complete(key, {
          messages: [userMessage(`Question number ${sent++}?`)],
        });
        answered.push(reply.inferenceId);
      } catch {
        failed++;
        // Inference is down or stopping: pace the retries instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  const load = {
    answered,
    failed: () => failed,
    /** Resolves once `more` answers beyond those received so far have arrived. */
    answersBeyond: (more: number, what: string) => {
      const target = answered.length + more;
      return eventually(() => answered.length >= target, { timeoutMs: 120_000, what });
    },
    async stop() {
      loads.delete(load);
      running = false;
      await Promise.all(loops);
      for (const client of clients) client.close();
    },
  };
  loads.add(load);
  return load;
}

/** Waits until billing's ledger holds every id; returns how many of them it holds. */
async function ledgerCovering(cluster: Cluster, ids: string[]): Promise<number> {
  const ledger = cluster.db('billing').collection('ledger');
  const inLedger = async () => {
    const documents = await ledger.find({}, { projection: { inference_id: 1 } }).toArray();
    const recorded = new Set(documents.map((document) => document.inference_id as string));
    return ids.filter((id) => recorded.has(id)).length;
  };
  try {
    await eventually(async () => (await inLedger()) === ids.length, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `a ledger document for each of the ${ids.length} answered inferences`,
    });
  } catch {
    // Fall through: the count below names what is missing.
  }
  return inLedger();
}

async function tenantKey(cluster: Cluster): Promise<string> {
  const clients = clientsOf(cluster.address('router'), cluster.address('inference'));
  try {
    const { apiKeySecret } = await clients.createTenant(cluster.adminKey(), 'globex');
    // The first call waits for the new key to reach inference.
    await eventually(
      () => clients.complete(apiKeySecret, { messages: [userMessage('Are you there?')] }),
      { what: 'the first Complete' },
    );
    return apiKeySecret;
  } finally {
    clients.close();
  }
}

describe('inference crashing under load', () => {
  describe('with the suite’s NATS server', () => {
    let cluster: Cluster;

    beforeEach(async () => {
      cluster = await startCluster(['router', 'inference', 'billing']);
    });

    afterEach(async () => {
      await stopLoads();
      await cluster?.shutdown();
    });

    it('SIGKILLed mid-load and restarted: every answered inference is in the ledger', async () => {
      const load = startLoad(cluster, await tenantKey(cluster));
      await load.answersBeyond(300, '300 answers before the crash');
      await cluster.kill('inference');
      const answeredAtCrash = load.answered.length;
      await cluster.start('inference');
      await load.answersBeyond(300, '300 answers after the restart');
      await load.stop();

      const inLedger = await ledgerCovering(cluster, load.answered);
      console.log(
        `SIGKILL: ${load.answered.length} answered (${answeredAtCrash} before the crash), ` +
          `${inLedger} in the ledger, ${load.failed()} calls failed`,
      );
      expect(inLedger).toBe(load.answered.length);
    });

    it('SIGINT then SIGTERM a few ms apart: stops cleanly, every answered inference is in the ledger', async () => {
      const load = startLoad(cluster, await tenantKey(cluster));
      await load.answersBeyond(300, '300 answers before the signals');
      cluster.signal('inference', 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 5));
      cluster.signal('inference', 'SIGTERM');
      expect(await cluster.exited('inference')).toBe('exit 0');
      await load.stop();

      const inLedger = await ledgerCovering(cluster, load.answered);
      console.log(
        `SIGINT+SIGTERM: ${load.answered.length} answered, ${inLedger} in the ledger, ` +
          `${load.failed()} calls failed`,
      );
      expect(inLedger).toBe(load.answered.length);
    });
  });

  describe('with a NATS server of its own, frozen for 2 s', () => {
    let nats: NatsServer;
    let cluster: Cluster;

    beforeEach(async () => {
      nats = await startNatsServer();
      cluster = await startCluster(['router', 'inference', 'billing'], { natsUrl: nats.url });
    });

    afterEach(async () => {
      nats?.resume();
      await stopLoads();
      await cluster?.shutdown();
      await nats?.stop();
    });

    it('SIGKILLed as JetStream comes back: every answered inference is in the ledger', async () => {
      const load = startLoad(cluster, await tenantKey(cluster));
      await load.answersBeyond(300, '300 answers before the freeze');
      nats.pause();
      // How long JetStream is away: the fault itself, not a wait for something to happen.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const answeredInFreeze = load.answered.length;
      nats.resume();
      // The backlog built up while frozen is being acknowledged and answered: crash now.
      await load.answersBeyond(1, 'the first answer after the freeze');
      await cluster.kill('inference');
      const answeredAtCrash = load.answered.length;
      await cluster.start('inference');
      await load.answersBeyond(300, '300 answers after the restart');
      await load.stop();

      const inLedger = await ledgerCovering(cluster, load.answered);
      console.log(
        `freeze+SIGKILL: ${load.answered.length} answered (${answeredInFreeze} by the end of ` +
          `the freeze, ${answeredAtCrash} at the crash), ${inLedger} in the ledger, ` +
          `${load.failed()} calls failed`,
      );
      expect(inLedger).toBe(load.answered.length);
    });
  });
});
