// What makes two ingestions of a document the same: its text, format and metadata.
import { createHash } from 'node:crypto';

export function documentHash(
  text: string,
  markdown: boolean,
  metadata: Record<string, string>,
): string {
  const pairs = Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([markdown ? 'markdown' : 'text', text, pairs]))
    .digest('hex');
}
