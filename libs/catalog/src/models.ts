import { router } from '@keel/contracts';

/**
 * True when both catalogs hold the same models (in any order) and the same default model;
 * the version and effective time are ignored. Tells whether a catalog needs a new version.
 */
export function sameModels(a: router.ModelCatalog, b: router.ModelCatalog): boolean {
  if (a.defaultModel !== b.defaultModel || a.models.length !== b.models.length) return false;
  const left = sortedEncodings(a);
  const right = sortedEncodings(b);
  return left.every((bytes, i) => bytes.equals(right[i]));
}

/** The model of that name, or null. */
export function findModel(catalog: router.ModelCatalog, name: string): router.Model | null {
  return catalog.models.find((model) => model.name === name) ?? null;
}

/**
 * The catalog in effect at `at` among `catalogs`: the one with the latest effective_at at or
 * before it, the higher version winning a tie (it was published later, so it knows more). An
 * unset effective_at is in effect from the start. Null when none is in effect yet.
 */
export function catalogInEffect<T extends router.ModelCatalog>(
  catalogs: readonly T[],
  at: Date,
): T | null {
  let found: T | null = null;
  for (const catalog of catalogs) {
    const from = effectiveTime(catalog);
    if (from > at.getTime()) continue;
    if (
      !found ||
      from > effectiveTime(found) ||
      (from === effectiveTime(found) && catalog.version > found.version)
    ) {
      found = catalog;
    }
  }
  return found;
}

/** When a catalog takes effect, in ms since the epoch; an unset time is the epoch. */
export function effectiveTime(catalog: router.ModelCatalog): number {
  return catalog.effectiveAt?.getTime() ?? 0;
}

// Protobuf bytes compare every field at once. An absent price (unpriced) encodes apart from an
// all-zero one (free).
function sortedEncodings(catalog: router.ModelCatalog): Buffer[] {
  return catalog.models
    .map((model) => Buffer.from(router.Model.encode(model).finish()))
    .sort(Buffer.compare);
}
