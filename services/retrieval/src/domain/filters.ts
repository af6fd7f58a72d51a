/** True when `metadata` has every pair of `filter`. */
export function matchesFilter(
  metadata: Record<string, string>,
  filter: Record<string, string>,
): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (metadata[key] !== value) return false;
  }
  return true;
}
