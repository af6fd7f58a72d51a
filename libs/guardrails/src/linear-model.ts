// A logistic-regression model over sparse named features: what the person-name and
// content-safety detectors score text with. Only features seen in training carry a weight.

/** A model as trained and written to JSON. */
export interface LinearModel {
  bias: number;
  weights: Record<string, number>;
}

/** A model ready to score: its weights in a Map, which looks names up faster than an object. */
export interface Scorer {
  bias: number;
  weights: ReadonlyMap<string, number>;
}

export function scorer(model: LinearModel): Scorer {
  return { bias: model.bias, weights: new Map(Object.entries(model.weights)) };
}

/**
 * The probability the model gives an example, its features listed by name (repeats add up),
 * each of value 1 unless `values` (in the same order) says otherwise.
 */
export function probability(
  model: Scorer,
  features: readonly string[],
  values?: readonly number[],
): number {
  let z = model.bias;
  for (let k = 0; k < features.length; k++) {
    z += (model.weights.get(features[k]) ?? 0) * (values?.[k] ?? 1);
  }
  return sigmoid(z);
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
