import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type SourceDocument, batches, jsonlDocument, readDocuments } from './ingest-source';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('readDocuments', () => {
  it('reads .md and .txt files by path below the folder, and .jsonl files by line', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-source-'));
    fs.mkdirSync(path.join(root, 'a'));
    fs.writeFileSync(path.join(root, 'a', 'x.md'), '# X');
    fs.writeFileSync(path.join(root, 'y.txt'), 'why');
    fs.writeFileSync(path.join(root, 'skip.json'), '{}');
    fs.writeFileSync(
      path.join(root, 'z.jsonl'),
      '{"id": 7, "text": "seven", "metadata": {"n": 7}}\n\n{"id": "m", "text": "# M", "format": "markdown"}\n',
    );
    const documents = await collect(readDocuments(root));
    fs.rmSync(root, { recursive: true });
    expect(documents).toEqual([
      { documentId: 'a/x.md', text: '# X', markdown: true, metadata: {} },
      { documentId: 'y.txt', text: 'why', markdown: false, metadata: {} },
      { documentId: '7', text: 'seven', markdown: false, metadata: { n: '7' } },
      { documentId: 'm', text: '# M', markdown: true, metadata: {} },
    ]);
  });
});

describe('jsonlDocument', () => {
  it('names the line and the field at fault', () => {
    expect(() => jsonlDocument('{"text": "t"}', 'f.jsonl:3')).toThrow(
      'f.jsonl:3: "id" must be a string',
    );
    expect(() => jsonlDocument('not json', 'f.jsonl:4')).toThrow('f.jsonl:4: not a JSON object');
    expect(() => jsonlDocument('{"id": "a", "text": "t", "metadata": 1}', 'f.jsonl:5')).toThrow(
      'f.jsonl:5: "metadata" must be an object',
    );
  });
});

describe('batches', () => {
  const doc = (id: string, size: number): SourceDocument => ({
    documentId: id,
    text: 'x'.repeat(size),
    markdown: false,
    metadata: {},
  });
  async function* from(documents: SourceDocument[]) {
    yield* documents;
  }

  it('cuts at the document count and before the byte budget is passed', async () => {
    const byCount = await collect(batches(from([doc('a', 1), doc('b', 1), doc('c', 1)]), 2, 100));
    expect(byCount.map((b) => b.map((d) => d.documentId))).toEqual([['a', 'b'], ['c']]);
    const byBytes = await collect(
      batches(from([doc('a', 60), doc('b', 60), doc('c', 200)]), 10, 100),
    );
    expect(byBytes.map((b) => b.map((d) => d.documentId))).toEqual([['a'], ['b'], ['c']]);
  });
});
