import { router } from '@keel/contracts';

/**
 * True when both catalogs hold the same models (in any order) and the same default model;
 * the version is ignored. Tells whether a catalog needs a new version.
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

// Protobuf bytes compare every field at once. An absent price means every price is 0 (proto3
// defaults), so it encodes as an all-zero price.
function sortedEncodings(catalog: router.ModelCatalog): Buffer[] {
  return catalog.models
    .map((model) =>
      Buffer.from(
        router.Model.encode({
          ...model,
          price: model.price ?? router.ModelPrice.create(),
        }).finish(),
      ),
    )
    .sort(Buffer.compare);
}
