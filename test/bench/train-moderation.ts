// Trains the content-safety model on the first half of moderation.jsonl and writes
// libs/guardrails/src/models/moderation.generated.json (weights and thresholds, no text).
// Nine logistic regressions over the same features: ANY (unsafe at all, from every record) and
// one per category (from the records labelled for it: a missing label is not a no). Each
// threshold is the one with the best F1 on out-of-fold probabilities (5-fold cross-validation
// inside the first half); the written models are then trained on all of it. Only words and
// word pairs found in at least MIN_TEXTS texts are learnt: rarer ones are memory, not signal.
//   npm run train:moderation
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { probability, scorer } from '../../libs/guardrails/src/linear-model';
import { LABELS, SAFETY_CATEGORIES } from '../../libs/guardrails/src/safety/categories';
import { hasHarmWords, textFeatures } from '../../libs/guardrails/src/safety/features';
import { type Example, trainLinearModel, type TrainOptions } from '../../libs/guardrails/src/train';
import { bestThreshold, loadHalves } from './guardrails-data';

interface ModerationRecord {
  text: string;
  labels: Record<string, number>;
}

const FOLDS = 5;
const MIN_TEXTS = 3;
const OPTIONS: Partial<TrainOptions> = { epochs: 30, learningRate: 0.2, l2: 1e-3, minWeight: 2e-3 };
const OUTPUTS = ['ANY', ...SAFETY_CATEGORIES] as const;

interface Doc {
  example: Omit<Example, 'label'>;
  harmWords: boolean;
  /** Per output, OUTPUTS order; undefined where the record has no such label. */
  labels: (boolean | undefined)[];
}

function docs(records: readonly ModerationRecord[]): Doc[] {
  const labelOf = Object.fromEntries(Object.entries(LABELS).map(([label, c]) => [c, label]));
  const all = records.map((r) => textFeatures(r.text));
  const texts = new Map<string, number>();
  for (const { names } of all)
    for (const name of names) texts.set(name, (texts.get(name) ?? 0) + 1);
  const learnt = (name: string) => name.startsWith('lex=') || texts.get(name)! >= MIN_TEXTS;
  return records.map((r, i) => {
    const names = all[i].names.filter(learnt);
    const values = all[i].values.filter((_, k) => learnt(all[i].names[k]));
    const categories = SAFETY_CATEGORIES.map((category) => {
      const value = r.labels[labelOf[category]];
      return value === undefined ? undefined : value === 1;
    });
    return {
      example: { features: names, values },
      harmWords: hasHarmWords(all[i]),
      labels: [categories.some((c) => c === true), ...categories],
    };
  });
}

function train(all: readonly Doc[], output: number) {
  const examples = all
    .filter((d) => d.labels[output] !== undefined)
    .map((d) => ({ ...d.example, label: d.labels[output] === true }));
  return trainLinearModel(examples, OPTIONS);
}

async function main(): Promise<void> {
  const { tune } = loadHalves<ModerationRecord>('moderation.jsonl');
  const all = docs(tune);
  const chosen = OUTPUTS.map((_, output) => {
    const scored: { p: number; label: boolean }[] = [];
    for (let fold = 0; fold < FOLDS; fold++) {
      const model = scorer(
        train(
          all.filter((_, i) => i % FOLDS !== fold),
          output,
        ),
      );
      all.forEach((d, i) => {
        if (i % FOLDS !== fold || d.labels[output] === undefined) return;
        const { features, values } = d.example;
        // A text without harm words is never flagged, whatever ANY says.
        const p = output === 0 && !d.harmWords ? 0 : probability(model, features, values);
        scored.push({ p, label: d.labels[output] });
      });
    }
    return bestThreshold(scored);
  });
  const thresholds = chosen.map((c) => c.threshold);
  const models = OUTPUTS.map((_, output) => train(all, output));
  const features = [...new Set(models.flatMap((m) => Object.keys(m.weights)))].sort();
  const weights: Record<string, number[]> = {};
  for (const feature of features) weights[feature] = models.map((m) => m.weights[feature] ?? 0);
  const out = path.resolve(__dirname, '../../libs/guardrails/src/models/moderation.generated.json');
  const json = JSON.stringify({
    generated: 'by `npm run train:moderation` from the first half of moderation.jsonl; do not edit',
    outputs: OUTPUTS,
    bias: models.map((m) => m.bias),
    thresholds,
    weights,
  });
  writeFileSync(out, await format(json, { ...(await resolveConfig(out)), filepath: out }));
  console.log(`${all.length} texts, ${features.length} features → ${out}`);
  console.log('threshold (cross-validated F1 inside the first half) per output:');
  console.log(
    OUTPUTS.map((o, i) => `${o} ${thresholds[i]} (${chosen[i].f1.toFixed(3)})`).join(', '),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
