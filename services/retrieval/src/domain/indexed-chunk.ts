/** A chunk as it is stored and indexed: its text, where it came from and its embedding. */
export interface IndexedChunk {
  chunkId: string;
  documentId: string;
  ordinal: number;
  text: string;
  metadata: Record<string, string>;
  tokenCount: number;
  headings: string[];
  vector: Float32Array;
}
