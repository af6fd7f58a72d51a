// Remote embedding models through the embedding cache, on real gRPC, NATS and FerretDB: an
// OpenAI-compatible `/embeddings` upstream on loopback, named by a provider of the policy
// snapshot, whose request log shows which texts reached the model.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { retrieval, router } from '@keel/contracts';
import { eventually } from '@keel/testing';
import { normalised } from './domain/hashed-embedding';
import { RetrievalDeployment, type RetrievalClient, testKey } from './retrieval.fixture';
import { EMBEDDING_CACHE } from './store/embedding-cache';

/** An embeddings upstream: a text's vector counts its letters a..d; every input is logged. */
class EmbeddingsUpstream {
  readonly inputs: string[] = [];
  failing = false;
  private readonly server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (part: Buffer) => (body += part.toString()));
    request.on('end', () => {
      if (this.failing || request.url !== '/v1/embeddings') {
        response.writeHead(this.failing ? 503 : 404).end('{"error":{"message":"down"}}');
        return;
      }
      const { input } = JSON.parse(body) as { input: string[] };
      this.inputs.push(...input);
      const data = input.map((text, index) => ({
        index,
        embedding: [...'abcd'].map((letter) => text.split(letter).length),
      }));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data }));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('remote embedding models', () => {
  const upstream = new EmbeddingsUpstream();
  let deployment: RetrievalDeployment;
  let client: RetrievalClient;

  beforeAll(async () => {
    const baseUrl = await upstream.start();
    deployment = await RetrievalDeployment.create();
    const key = testKey('acme');
    await deployment.publishKeys([key]);
    await deployment.publishProviders([
      {
        name: 'emb',
        kind: router.ProviderKind.PROVIDER_KIND_OPENAI_COMPATIBLE,
        baseUrl,
      },
    ]);
    ({ client } = await deployment.startReplica(key));
    await eventually(
      () => client.embed({ model: 'emb/letters', texts: ['warm up'] }).then(() => true),
      { what: 'the policy snapshot naming the provider to be applied' },
    );
  });

  afterAll(async () => {
    await deployment.stop();
    await upstream.stop();
  });

  it('embeds through the provider, normalised, and serves a text again from the cache', async () => {
    const before = upstream.inputs.length;
    const { model, embeddings } = await client.embed({
      model: 'emb/letters',
      texts: ['abba', 'cab', 'abba'],
    });
    expect(model).toBe('emb/letters');
    expect(embeddings[0].values).toEqual(Array.from(normalised(Float32Array.from([3, 3, 1, 1]))));
    // The repeated text went to the model once.
    expect(upstream.inputs.slice(before)).toEqual(['abba', 'cab']);

    await client.embed({ model: 'emb/letters', texts: ['cab', 'dad'] });
    expect(upstream.inputs.slice(before)).toEqual(['abba', 'cab', 'dad']);
    const cached = await deployment.store
      .collection(EMBEDDING_CACHE)
      .countDocuments({ tenant_id: 'acme', model: 'emb/letters' });
    expect(cached).toBe(4); // 'warm up', 'abba', 'cab', 'dad'
  });

  it('shares the cache between ingestion and retrieval of a collection of that model', async () => {
    await client.createCollection({ collectionName: 'letters', embeddingModel: 'emb/letters' });
    const before = upstream.inputs.length;
    await client.ingest('letters', [
      { documentId: 'x', text: 'dad' },
      { documentId: 'y', text: 'abc abc' },
    ]);
    // 'dad' was embedded by Embed before.
    expect(upstream.inputs.slice(before)).toEqual(['abc abc']);
    const { chunks } = await client.retrieve({
      collectionName: 'letters',
      query: 'abc abc',
      mode: retrieval.RetrievalMode.RETRIEVAL_MODE_VECTOR,
    });
    expect(chunks[0].chunk?.chunkId).toBe('y#0');
    expect(upstream.inputs.slice(before)).toEqual(['abc abc']);
  });

  it('answers UNAVAILABLE while the model is down, and refuses an unknown provider', async () => {
    upstream.failing = true;
    await expect(client.embed({ model: 'emb/letters', texts: ['new text'] })).rejects.toMatchObject(
      {
        code: grpc.status.UNAVAILABLE,
      },
    );
    upstream.failing = false;
    await expect(client.embed({ model: 'nobody/letters', texts: ['x'] })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('model'),
    });
  });
});
