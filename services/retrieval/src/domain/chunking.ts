// Cuts a document into chunks of at most `maxTokens` tokens (o200k_base, as the models that read
// them count), each repeating the last `overlapTokens` of the one before, so a passage cut at a
// boundary is still whole in one chunk. Markdown is first split at headings when asked.
// gpt-tokenizer's default encoding is o200k_base.
import { decode, encode } from 'gpt-tokenizer';
import { markdownSections } from './markdown-sections';

export interface ChunkingSettings {
  maxTokens: number;
  overlapTokens: number;
  splitMarkdownHeadings: boolean;
}

export interface ChunkText {
  ordinal: number;
  text: string;
  tokenCount: number;
  headings: string[];
}

export const DEFAULT_MAX_TOKENS = 256;
export const DEFAULT_OVERLAP_TOKENS = 32;

export function chunkDocument(
  text: string,
  markdown: boolean,
  settings: ChunkingSettings,
): ChunkText[] {
  const sections =
    markdown && settings.splitMarkdownHeadings
      ? markdownSections(text)
      : [{ headings: [], text: text.trim() }];
  const chunks: ChunkText[] = [];
  for (const section of sections) {
    for (const piece of tokenWindows(section.text, settings)) {
      chunks.push({ ordinal: chunks.length, headings: section.headings, ...piece });
    }
  }
  return chunks;
}

function tokenWindows(
  text: string,
  { maxTokens, overlapTokens }: ChunkingSettings,
): Array<{ text: string; tokenCount: number }> {
  if (text === '') return [];
  const tokens = encode(text, { disallowedSpecial: new Set() });
  if (tokens.length <= maxTokens) return [{ text, tokenCount: tokens.length }];
  const step = maxTokens - overlapTokens;
  const windows: Array<{ text: string; tokenCount: number }> = [];
  for (let start = 0; ; start += step) {
    const window = tokens.slice(start, start + maxTokens);
    windows.push({ text: decode(window).trim(), tokenCount: window.length });
    if (start + maxTokens >= tokens.length) break;
  }
  return windows;
}
