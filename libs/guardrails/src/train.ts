// Trains a LinearModel: logistic loss, L2 penalty, AdaGrad steps over a seeded shuffle, so the
// same examples always give the same model. Used by the training commands, never at run time.
import type { LinearModel } from './linear-model';

export interface Example {
  features: readonly string[];
  label: boolean;
  /** The value of each feature, in `features` order; 1 each when omitted. */
  values?: readonly number[];
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  /** Weight of a positive example's loss, for rare labels. */
  positiveWeight: number;
  /** Weights smaller than this are dropped from the written model. */
  minWeight: number;
}

const DEFAULTS: TrainOptions = {
  epochs: 30,
  learningRate: 0.2,
  l2: 1e-4,
  positiveWeight: 1,
  minWeight: 1e-3,
};

export function trainLinearModel(
  examples: readonly Example[],
  options: Partial<TrainOptions> = {},
): LinearModel {
  const { epochs, learningRate, l2, positiveWeight, minWeight } = { ...DEFAULTS, ...options };
  const weights = new Map<string, number>();
  const squares = new Map<string, number>();
  let bias = 0;
  let biasSquares = 0;
  const order = examples.map((_, i) => i);
  const random = mulberry32(1);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, random);
    for (const i of order) {
      const { features, label, values } = examples[i];
      let z = bias;
      features.forEach((f, k) => (z += (weights.get(f) ?? 0) * (values?.[k] ?? 1)));
      const p = 1 / (1 + Math.exp(-z));
      const gradient = (p - (label ? 1 : 0)) * (label ? positiveWeight : 1);
      biasSquares += gradient * gradient;
      bias -= (learningRate * gradient) / Math.sqrt(biasSquares + 1e-8);
      for (let k = 0; k < features.length; k++) {
        const f = features[k];
        const w = weights.get(f) ?? 0;
        const g = gradient * (values?.[k] ?? 1) + l2 * w;
        const s = (squares.get(f) ?? 0) + g * g;
        squares.set(f, s);
        weights.set(f, w - (learningRate * g) / Math.sqrt(s + 1e-8));
      }
    }
  }
  const kept: Record<string, number> = {};
  for (const [f, w] of [...weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (Math.abs(w) >= minWeight) kept[f] = Math.round(w * 1e4) / 1e4;
  }
  return { bias: Math.round(bias * 1e4) / 1e4, weights: kept };
}

function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** A small seeded generator, so training is repeatable. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
