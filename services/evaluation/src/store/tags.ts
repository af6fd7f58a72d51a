// Tags are stored as a list of `["key","value"]` JSON strings: a tag key may hold `.` or `$`,
// which a document field name may not, and a pair as one string is matched by plain equality.
export type TagPair = string;

export function tagPairOf(key: string, value: string): TagPair {
  return JSON.stringify([key, value]);
}

export function tagPairsOf(tags: Record<string, string>): TagPair[] {
  return Object.entries(tags).map(([key, value]) => tagPairOf(key, value));
}

export function tagsOf(pairs: readonly TagPair[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value] = JSON.parse(pair) as [string, string];
    tags[key] = value;
  }
  return tags;
}
