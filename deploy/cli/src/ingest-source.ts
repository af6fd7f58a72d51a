// The documents under a path, read lazily: a .txt or .md file is one document (its id the path
// below the folder given), a .jsonl file one document per line ({id, text, metadata?, format?}).
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface SourceDocument {
  documentId: string;
  text: string;
  markdown: boolean;
  metadata: Record<string, string>;
}

const EXTENSIONS = new Set(['.txt', '.md', '.markdown', '.jsonl']);

/** The files to ingest under `root` (itself when a file), in a stable order. */
export function sourceFiles(root: string): string[] {
  const stat = fs.statSync(root);
  if (stat.isFile()) return [root];
  return fs
    .readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((entry) => path.join(root, entry))
    .filter(
      (file) => EXTENSIONS.has(path.extname(file).toLowerCase()) && fs.statSync(file).isFile(),
    )
    .sort();
}

export async function* readDocuments(root: string): AsyncGenerator<SourceDocument> {
  const base = fs.statSync(root).isFile() ? path.dirname(root) : root;
  for (const file of sourceFiles(root)) {
    const extension = path.extname(file).toLowerCase();
    if (extension !== '.jsonl') {
      yield {
        documentId: path.relative(base, file).split(path.sep).join('/'),
        text: fs.readFileSync(file, 'utf8'),
        markdown: extension !== '.txt',
        metadata: {},
      };
      continue;
    }
    const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8') });
    let number = 0;
    for await (const line of lines) {
      number++;
      if (line.trim() === '') continue;
      yield jsonlDocument(line, `${file}:${number}`);
    }
  }
}

export function jsonlDocument(line: string, where: string): SourceDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not a JSON object`);
  }
  const record = parsed as { id?: unknown; text?: unknown; metadata?: unknown; format?: unknown };
  if (typeof record.id !== 'string' && typeof record.id !== 'number') {
    throw new Error(`${where}: "id" must be a string`);
  }
  if (typeof record.text !== 'string') throw new Error(`${where}: "text" must be a string`);
  const metadata: Record<string, string> = {};
  if (record.metadata !== undefined) {
    if (typeof record.metadata !== 'object' || record.metadata === null) {
      throw new Error(`${where}: "metadata" must be an object`);
    }
    for (const [key, value] of Object.entries(record.metadata)) metadata[key] = String(value);
  }
  return {
    documentId: String(record.id),
    text: record.text,
    markdown: record.format === 'markdown',
    metadata,
  };
}

/** Groups documents into calls of at most `maxDocuments` and about `maxBytes` of text. */
export async function* batches(
  documents: AsyncIterable<SourceDocument>,
  maxDocuments: number,
  maxBytes: number,
): AsyncGenerator<SourceDocument[]> {
  let batch: SourceDocument[] = [];
  let bytes = 0;
  for await (const document of documents) {
    const size = Buffer.byteLength(document.text);
    if (batch.length > 0 && (batch.length >= maxDocuments || bytes + size > maxBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(document);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
