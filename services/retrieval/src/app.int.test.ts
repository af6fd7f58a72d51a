// The RetrievalService on real gRPC, NATS and FerretDB: ingestion, replacement, deletion,
// filters, restart, a second replica converging, and tenant walls.
import * as grpc from '@grpc/grpc-js';
import { retrieval } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { RetrievalDeployment, type RetrievalClient, testKey } from './retrieval.fixture';

const MARKDOWN = retrieval.DocumentFormat.DOCUMENT_FORMAT_MARKDOWN;

const docs = [
  {
    documentId: 'returns',
    text: 'Customers may return unworn shoes within 30 days for a full refund.',
    metadata: { topic: 'policy', lang: 'en' },
  },
  {
    documentId: 'shipping',
    text: 'Orders ship from our Rotterdam warehouse within two business days.',
    metadata: { topic: 'logistics', lang: 'en' },
  },
  {
    documentId: 'retours',
    text: 'Klanten mogen ongedragen schoenen binnen 30 dagen retourneren; refund volgt.',
    metadata: { topic: 'policy', lang: 'nl' },
  },
];

describe('RetrievalService', () => {
  let deployment: RetrievalDeployment;
  const key = testKey('acme');
  const otherKey = testKey('globex');
  let client: RetrievalClient;

  beforeAll(async () => {
    deployment = await RetrievalDeployment.create();
    await deployment.publishKeys([key, otherKey]);
    ({ client } = await deployment.startReplica(key));
  });

  afterAll(async () => {
    await deployment.stop();
  });

  it('ingests documents into chunks that Retrieve ranks by the query', async () => {
    await client.createCollection({ collectionName: 'faq' });
    const ingested = await client.ingest('faq', docs);
    expect(ingested.documents).toEqual(
      docs.map((doc) => ({ documentId: doc.documentId, chunkCount: 1, unchanged: false })),
    );

    const { chunks } = await client.retrieve({
      collectionName: 'faq',
      query: 'How many days do I have to return shoes?',
      topK: 2,
    });
    expect(chunks[0].chunk?.chunkId).toBe('returns#0');
    expect(chunks[0].chunk?.metadata).toEqual({ topic: 'policy', lang: 'en' });
    expect(chunks[0].lexicalRank).toBe(1);
    expect(chunks[0].vectorRank).toBe(1);
    expect(chunks[0].score).toBeGreaterThan(chunks[1].score);
    const listed = await client.listCollections();
    expect(
      listed.collections.map((c) => [c.collectionName, c.documentCount, c.chunkCount]),
    ).toEqual([['faq', 3n, 3n]]);
  });

  it('writes nothing for a document ingested again unchanged', async () => {
    const again = await client.ingest('faq', [docs[0]]);
    expect(again.documents).toEqual([{ documentId: 'returns', chunkCount: 1, unchanged: true }]);
  });

  it("replaces a re-ingested document's chunks", async () => {
    const longer = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} about gift cards.`).join(
      ' ',
    );
    await client.createCollection({
      collectionName: 'gifts',
      chunking: { maxTokens: 64, overlapTokens: 8 },
    });
    const first = await client.ingest('gifts', [{ documentId: 'cards', text: longer }]);
    expect(first.documents[0].chunkCount).toBeGreaterThan(3);

    await client.ingest('gifts', [{ documentId: 'cards', text: 'Gift cards never expire.' }]);
    const ids = await client.retrieveIds({
      collectionName: 'gifts',
      query: 'gift cards',
      topK: 10,
    });
    expect(ids).toEqual(['cards#0']);
    const { chunks } = await client.retrieve({ collectionName: 'gifts', query: 'expire' });
    expect(chunks[0].chunk?.text).toBe('Gift cards never expire.');
  });

  it('removes a deleted document from lexical and vector search', async () => {
    const removed = await client.deleteDocument('faq', 'shipping');
    expect(removed.chunkCount).toBe(1);
    for (const mode of [
      retrieval.RetrievalMode.RETRIEVAL_MODE_LEXICAL,
      retrieval.RetrievalMode.RETRIEVAL_MODE_VECTOR,
    ]) {
      const ids = await client.retrieveIds({
        collectionName: 'faq',
        query: 'Rotterdam warehouse shipping',
        topK: 10,
        mode,
      });
      expect(ids).not.toContain('shipping#0');
    }
    await expect(client.deleteDocument('faq', 'shipping')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('returns only chunks whose metadata has every pair of the filter', async () => {
    const ids = await client.retrieveIds({
      collectionName: 'faq',
      query: 'return shoes within 30 days',
      topK: 10,
      filter: { lang: 'nl', topic: 'policy' },
    });
    expect(ids).toEqual(['retours#0']);
  });

  it("splits Markdown at headings and keeps each chunk's heading path", async () => {
    await client.createCollection({
      collectionName: 'handbook',
      chunking: { splitMarkdownHeadings: true },
    });
    const text =
      '# Travel\n\nBook trains.\n\n## Expenses\n\nKeep receipts for meals.\n\n# Leave\n\nAsk early.';
    const ingested = await client.ingest('handbook', [
      { documentId: 'hb', text, format: MARKDOWN },
    ]);
    expect(ingested.documents[0].chunkCount).toBe(3);
    const { chunks } = await client.retrieve({
      collectionName: 'handbook',
      query: 'meal receipts',
    });
    expect(chunks[0].chunk).toMatchObject({
      chunkId: 'hb#1',
      text: 'Keep receipts for meals.',
      headings: ['Travel', 'Expenses'],
    });
  });

  it('embeds texts with the local model, similar texts nearer', async () => {
    const { model, embeddings } = await client.embed({
      texts: ['refund for returned shoes', 'shoes returned for a refund', 'train timetable'],
    });
    expect(model).toBe('local-hash-384');
    const [a, b, c] = embeddings.map((e) => e.values);
    expect(a).toHaveLength(384);
    const cos = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * y[i], 0);
    expect(cos(a, b)).toBeGreaterThan(0.9);
    expect(cos(a, c)).toBeLessThan(0.2);
  });

  it('refuses bad requests naming the field', async () => {
    await expect(client.retrieve({ collectionName: 'faq', query: ' ' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('query'),
    });
    await expect(
      client.retrieve({ collectionName: 'faq', query: 'x', topK: 101 }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('top_k'),
    });
    await expect(client.ingest('faq', [{ documentId: 'a#1', text: 'x' }])).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('documents[0].document_id'),
    });
    await expect(
      client.createCollection({ collectionName: 'x', embeddingModel: 'nowhere/model' }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('embedding_model'),
    });
    await expect(client.createCollection({ collectionName: 'faq' })).rejects.toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
    });
  });

  it('keeps tenants apart: another tenant sees no collection of the first', async () => {
    const { app } = await deployment.startReplica(otherKey);
    const other = deployment.clientOf(app, otherKey);
    expect((await other.listCollections()).collections).toEqual([]);
    for (const call of [
      () => other.retrieve({ collectionName: 'faq', query: 'return shoes' }),
      () => other.ingest('faq', [{ documentId: 'x', text: 'planted' }]),
      () => other.deleteDocument('faq', 'returns'),
      () => other.deleteCollection('faq'),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    }
    // Its own collection of the same name holds only its own documents.
    await other.createCollection({ collectionName: 'faq' });
    await other.ingest('faq', [{ documentId: 'g', text: 'Globex returns take 90 days.' }]);
    expect(
      await other.retrieveIds({ collectionName: 'faq', query: 'returns days', topK: 10 }),
    ).toEqual(['g#0']);
    expect(
      await client.retrieveIds({ collectionName: 'faq', query: 'Globex', topK: 10 }),
    ).not.toContain('g#0');
    await expect(
      other.retrieve({ tenantId: 'acme', collectionName: 'faq', query: 'x' }),
    ).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await deployment.stopReplica(app);
  });

  it('finds the same results after a restart, rebuilt from the store', async () => {
    const query = { collectionName: 'faq', query: 'return unworn shoes refund', topK: 5 };
    const before = await client.retrieve(query);
    const restarted = await deployment.startReplica(key);
    const after = await restarted.client.retrieve(query);
    expect(after.chunks.map((c) => [c.chunk?.chunkId, c.score])).toEqual(
      before.chunks.map((c) => [c.chunk?.chunkId, c.score]),
    );
    expect(after.chunks.length).toBeGreaterThan(0);
    await deployment.stopReplica(restarted.app);
  });

  it('converges a second replica on an ingest and a deletion made through the first', async () => {
    const second = await deployment.startReplica(key);
    // Loaded before the change, so only the change event can bring it.
    expect(
      await second.client.retrieveIds({ collectionName: 'faq', query: 'loyalty points', topK: 10 }),
    ).not.toContain('loyalty#0');
    await client.ingest('faq', [{ documentId: 'loyalty', text: 'Loyalty points never expire.' }]);
    await eventually(
      async () =>
        (
          await second.client.retrieveIds({
            collectionName: 'faq',
            query: 'loyalty points',
            topK: 10,
          })
        ).includes('loyalty#0'),
      { what: 'the second replica to index the new document' },
    );
    await client.deleteDocument('faq', 'loyalty');
    await eventually(
      async () =>
        !(
          await second.client.retrieveIds({
            collectionName: 'faq',
            query: 'loyalty points',
            topK: 10,
          })
        ).includes('loyalty#0'),
      { what: 'the second replica to drop the deleted document' },
    );
    await deployment.stopReplica(second.app);
  });

  it('deletes a collection with its documents', async () => {
    await client.deleteCollection('gifts');
    await expect(client.retrieve({ collectionName: 'gifts', query: 'gift' })).rejects.toMatchObject(
      {
        code: grpc.status.NOT_FOUND,
      },
    );
    await client.createCollection({ collectionName: 'gifts' });
    expect(await client.retrieveIds({ collectionName: 'gifts', query: 'gift cards' })).toEqual([]);
  });
});
