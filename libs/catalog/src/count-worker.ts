// The worker thread behind countTokens: counts texts too long to count on the event loop.
import { countInEncoding } from './encodings';

export interface CountTask {
  encoding: string;
  texts: string[];
}

/** The tokens of each text. */
export default function count({ encoding, texts }: CountTask): number[] {
  return texts.map((text) => countInEncoding(encoding, text));
}
