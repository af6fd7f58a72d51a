// Content safety: logistic regressions over the text's words, word pairs and lexicon hits
// (trained by `npm run train:moderation`). A text with harm words (hasHarmWords) that ANY
// scores past its threshold is unsafe; then the categories past their own thresholds are the
// answer, or, when none is, the one nearest its threshold. Every feature is looked up once and
// adds to all nine scores.
import { sigmoid } from '../linear-model';
import moderationModel from '../models/moderation.generated.json';
import { SAFETY_CATEGORIES, type SafetyCategory } from './categories';
import { type Features, hasHarmWords, textFeatures } from './features';

/** The model as the training command writes it; output 0 is ANY, then SAFETY_CATEGORIES. */
interface ModerationModel {
  outputs: string[];
  bias: number[];
  thresholds: number[];
  /** Feature → one weight per output. */
  weights: Record<string, number[]>;
}

let weights: ReadonlyMap<string, readonly number[]> | undefined;
const model = moderationModel as ModerationModel;

/** Each output's probability for the features: ANY first, then SAFETY_CATEGORIES' order. */
export function safetyScores({ names, values }: Features): number[] {
  weights ??= new Map(Object.entries(model.weights));
  const z = [...model.bias];
  for (let k = 0; k < names.length; k++) {
    const w = weights.get(names[k]);
    if (w) for (let o = 0; o < z.length; o++) z[o] += w[o] * values[k];
  }
  return z.map(sigmoid);
}

/** The unsafe-content categories found in the text, among the given ones (all when omitted). */
export function unsafeCategories(
  text: string,
  categories: readonly SafetyCategory[] = SAFETY_CATEGORIES,
): SafetyCategory[] {
  const features = textFeatures(text);
  if (!hasHarmWords(features)) return [];
  const [any, ...scores] = safetyScores(features);
  if (any < model.thresholds[0]) return [];
  // How far past (above 1) or short of (below 1) its threshold each category is.
  const margins = scores.map((p, c) => p / model.thresholds[c + 1]);
  const nearest = margins.indexOf(Math.max(...margins));
  return SAFETY_CATEGORIES.filter(
    (category, c) => categories.includes(category) && (margins[c] >= 1 || c === nearest),
  );
}
